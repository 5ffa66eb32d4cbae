/**
 * Browser collection: the tag's script, its batch endpoint (sendBeacon-friendly text/plain,
 * CORS for the workspace's allowed origins), and the no-JavaScript image pixel.
 */
import { browserOrigin } from "../origin.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { HttpError } from "../../domain/errors.js";
import type { Workspace } from "../../domain/workspace.js";
import { RollupAccumulator } from "../../monitoring/rollups.js";
import { clientIp } from "../client-address.js";
import { overClientLimit } from "../client-limit.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, query } from "../params.js";
import { batchOf, countOutcomes, ensureReady, testEventCodeOf } from "./events.js";
import { collectPreflightSchema, collectSchema, pixelSchema, tagSchema } from "../schemas/collect.js";

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

/**
 * The browser's user agent, from the request only (API.md: IP and user agent "come from the
 * request"). "" when the header is missing, not null: normalize falls back to the body's
 * `client_user_agent` on null, and a page must not be able to set it.
 */
function requestUserAgent(req: FastifyRequest): string {
  return req.headers["user-agent"] ?? "";
}

/**
 * Whether a pixel request may be recorded for this workspace: when it has `allowed_origins`,
 * the request's `Origin` (else its `Referer`) must be one of them. A request that names no
 * page at all (an email client, a strict referrer policy) is let through, as the contract says.
 */
function pixelOriginAllowed(req: FastifyRequest, ws: Workspace): boolean {
  if (ws.allowedOrigins.length === 0) return true;
  const origin = req.headers.origin;
  const referer = req.headers.referer;
  const page = origin && origin !== "null" ? origin : referer;
  // `Origin: null` (a sandboxed or privacy-stripped page) names no allowed origin either.
  if (!page) return origin !== "null";
  let o: string;
  try {
    o = new URL(page).origin;
  } catch {
    return false;
  }
  return ws.allowedOrigins.includes(o);
}

function sendGif(reply: FastifyReply) {
  return reply
    .header("content-type", "image/gif")
    .header("cache-control", "no-store, max-age=0")
    .header("access-control-allow-origin", "*")
    .send(GIF);
}

/** CORS for /t/collect: an origin the workspace allows (any, when none are configured). */
function allowOrigin(req: FastifyRequest, reply: FastifyReply, ws: Workspace | null): void {
  const origin = req.headers.origin;
  if (!origin) return;
  if (ws && ws.allowedOrigins.length > 0 && !ws.allowedOrigins.includes(origin))
    throw new HttpError(
      "origin_not_allowed",
      `The origin ${origin.slice(0, 100)} is not in this workspace's allowed_origins.`,
    );
  const echoed = browserOrigin(origin);
  if (echoed) void reply.header("access-control-allow-origin", echoed).header("vary", "Origin");
}

export function collectRoutes(app: FastifyInstance, deps: AppDeps): void {
  const tagPath = join(deps.publicDir, "tally.js");
  let tag: Buffer | null = null;

  app.get("/t/tally.js", { schema: tagSchema }, (_req, reply) => {
    tag ??= existsSync(tagPath) ? readFileSync(tagPath) : null;
    if (!tag) throw new HttpError("not_found", "The browser tag is not built; run `npm run build`.");
    return reply
      .header("content-type", "application/javascript; charset=utf-8")
      .header("cache-control", "public, max-age=300")
      .header("access-control-allow-origin", "*")
      .send(tag);
  });

  app.options("/t/collect", { schema: collectPreflightSchema }, (req, reply) => {
    const origin = browserOrigin(req.headers.origin);
    if (origin) void reply.header("access-control-allow-origin", origin).header("vary", "Origin");
    return reply
      .header("access-control-allow-methods", "POST, OPTIONS")
      .header("access-control-allow-headers", "content-type")
      .header("access-control-max-age", "86400")
      .code(204)
      .send();
  });

  app.post("/t/collect", { schema: collectSchema(deps.config.maxBatch) }, async (req, reply) => {
    // CORS headers go on errors too, so the page can read why it was refused.
    const origin = browserOrigin(req.headers.origin);
    if (origin) void reply.header("access-control-allow-origin", origin).header("vary", "Origin");
    const b = bodyObject(req.body);
    const q = query(req.query);
    const key = q.k ?? (typeof b.k === "string" ? b.k : null);
    const ws = await deps.auth.publicKey(key, req.ip);
    allowOrigin(req, reply, ws);
    const events = batchOf(
      b,
      b.events === undefined && b.data !== undefined ? "data" : "events",
      deps.config.maxBatch,
    );
    ensureReady(deps);
    const res = await deps.pipeline.ingest({
      workspace: ws,
      actions: await deps.directory.actionsOf(ws.id),
      events,
      testEventCode: testEventCodeOf(b),
      source: "browser",
      requestIp: clientIp(req),
      requestUserAgent: requestUserAgent(req),
    });
    countOutcomes(deps, res, "browser");
    return reply.code(204).send();
  });

  app.get("/t/p.gif", { schema: pixelSchema }, async (req, reply) => {
    // Over the client's limit: the GIF all the same (a page never breaks), nothing recorded.
    if (overClientLimit(req)) return sendGif(reply.header("x-tally-rejected", "rate_limited"));
    const q = query(req.query);
    const ws = await deps.auth.publicKey(q.k ?? null, req.ip);
    ensureReady(deps);
    if (!pixelOriginAllowed(req, ws)) {
      // From a page of another origin: the GIF, nothing of the event kept, counted as rejected.
      const acc = new RollupAccumulator();
      acc.add(ws.id, Date.now(), { received: 1, rejected: 1 });
      await deps.store.addRollups(acc.drain());
      deps.prom.events.inc({ status: "rejected", source: "pixel" });
      return sendGif(reply.header("x-tally-rejected", "origin_not_allowed"));
    }
    const user: Record<string, string> = {};
    for (const k of [
      "gclid",
      "gbraid",
      "wbraid",
      "fbclid",
      "fbc",
      "fbp",
      "msclkid",
      "ttclid",
      "li_fat_id",
      "external_id",
    ])
      if (q[k]) user[k] = q[k];
    if (q.aid) user.anonymous_id = q.aid;
    if (q.cid) user.click_id = q.cid;
    if (q.tally_click) user.click_id = q.tally_click;
    const custom: Record<string, unknown> = {};
    if (q.v !== undefined) custom.value = q.v;
    if (q.cur) custom.currency = q.cur;
    if (q.oid) custom.order_id = q.oid;
    for (const k of ["utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term", "utm_id"])
      if (q[k]) custom[k] = q[k];
    const event = {
      event_name: q.en ?? "PageView",
      ...(q.eid ? { event_id: q.eid } : {}),
      ...(q.t ? { event_time: q.t } : {}),
      action_source: "website",
      ...(q.url || req.headers.referer ? { event_source_url: q.url ?? req.headers.referer } : {}),
      user_data: user,
      custom_data: custom,
    };
    const res = await deps.pipeline.ingest({
      workspace: ws,
      actions: await deps.directory.actionsOf(ws.id),
      events: [event],
      testEventCode: q.test_event_code ?? null,
      source: "pixel",
      requestIp: clientIp(req),
      requestUserAgent: requestUserAgent(req),
    });
    countOutcomes(deps, res, "pixel");
    const r = res.results[0];
    if (r?.status === "rejected") void reply.header("x-tally-rejected", r.error.code);
    return sendGif(reply);
  });
}
