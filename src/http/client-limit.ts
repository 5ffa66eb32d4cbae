/**
 * Per-client limit on the public endpoints `/t/*` and `/c/*` (`TALLY_RATE_LIMIT_PER_IP`):
 * each client address (IPv6: its /64; behind a trusted proxy, the address it forwards) has a
 * token bucket of N requests refilled at N a minute, apart from every other client, so one
 * client cannot drain a site's bucket for its other visitors nor inflate its clicks.
 *
 * A request over the limit records nothing. Most get `429 rate_limited` with `Retry-After`;
 * the pixel (`GET /t/p.gif`) still answers its GIF and a tracking link (`GET /c/{id}`) still
 * redirects, so a page never breaks: those routes ask `overClientLimit(req)`.
 */
import type { FastifyInstance, FastifyRequest } from "fastify";
import { rateLimited } from "./auth.js";
import { clientKey } from "./client-address.js";
import { RateLimiter } from "./rate-limit.js";

/** Routes that answer even over the limit (recording nothing). */
const SOFT_ROUTES = new Set(["/t/p.gif", "/c/:id"]);

const over = new WeakSet<FastifyRequest>();

/** Whether this request is over its client's limit (only asked by the routes that still answer). */
export function overClientLimit(req: FastifyRequest): boolean {
  return over.has(req);
}

/** The limiter for `perMinute` requests a minute per client, or null when 0 (off). */
export function createClientLimiter(perMinute: number): RateLimiter | null {
  if (perMinute <= 0) return null;
  return new RateLimiter({
    rate: perMinute / 60,
    burst: perMinute,
    maxEntries: 200_000,
    maxBytes: 32 * 1024 * 1024,
  });
}

export function registerClientLimit(app: FastifyInstance, limiter: RateLimiter | null): void {
  if (!limiter) return;
  app.addHook("onRequest", (req, _reply, done) => {
    const url = req.url;
    if (!(url.startsWith("/t/") || url.startsWith("/c/"))) return done();
    const wait = limiter.take(clientKey(req.ip));
    if (wait === 0) return done();
    if (SOFT_ROUTES.has(req.routeOptions.url ?? "")) {
      over.add(req);
      return done();
    }
    done(rateLimited(wait, "Too many requests from this address; retry after the time in `Retry-After`."));
  });
}
