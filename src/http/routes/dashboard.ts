/**
 * The dashboard's static files (`/`, `/dashboard.js`, `/dashboard.css`, and `/w/*` for its
 * client-side routes), served from the build output with a strict Content-Security-Policy.
 * Files are read once and re-read when they change on disk (a rebuild while running), and
 * sent gzipped to browsers that accept it.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { createHash } from "node:crypto";
import { HttpError } from "../../domain/errors.js";
import type { AppDeps } from "../deps.js";
import {
  dashboardPageSchema,
  dashboardRouteSchema,
  dashboardScriptSchema,
  dashboardStyleSchema,
} from "../schemas/live.js";

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * The dashboard's Content-Security-Policy. `connect-src` allows this origin only: `'self'`
 * plus the page's own WebSocket origin (`ws://host` for an http page, `wss://host` for an
 * https one; older browsers do not count ws: as 'self'), never any other WebSocket host.
 */
export function dashboardCsp(host: string | undefined, https: boolean): string {
  const ws = host && HOST.test(host) ? ` ${https ? "wss" : "ws"}://${host}` : "";
  return [
    "default-src 'self'",
    `connect-src 'self'${ws}`,
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}

const TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "dashboard.js": "text/javascript; charset=utf-8",
  "dashboard.css": "text/css; charset=utf-8",
};

interface CachedFile {
  mtimeMs: number;
  body: Buffer;
  gzip: Buffer;
  etag: string;
}

export function dashboardRoutes(app: FastifyInstance, deps: AppDeps): void {
  const publicDir = deps.publicDir;
  const cache = new Map<string, CachedFile>();

  async function load(name: string): Promise<CachedFile> {
    const path = join(publicDir, name);
    let st;
    try {
      st = await stat(path);
    } catch {
      throw new HttpError(
        "not_found",
        "The dashboard is not built yet: run `npm run build` (or `npm start`, which builds it).",
      );
    }
    const hit = cache.get(name);
    if (hit && hit.mtimeMs === st.mtimeMs) return hit;
    const body = await readFile(path);
    const file = {
      mtimeMs: st.mtimeMs,
      body,
      gzip: gzipSync(body),
      etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
    };
    cache.set(name, file);
    return file;
  }

  async function serve(name: string, req: FastifyRequest, reply: FastifyReply) {
    const f = await load(name);
    void reply
      .header("content-type", TYPES[name]!)
      .header("content-security-policy", dashboardCsp(req.host, req.protocol === "https"))
      .header("x-content-type-options", "nosniff")
      .header("referrer-policy", "same-origin")
      .header("x-frame-options", "DENY")
      .header("cache-control", "no-cache")
      .header("etag", f.etag)
      .header("vary", "accept-encoding");
    if (req.headers["if-none-match"] === f.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(req.headers["accept-encoding"] ?? ""))
      return reply.header("content-encoding", "gzip").send(f.gzip);
    return reply.send(f.body);
  }

  app.get("/", { schema: dashboardPageSchema }, (req, reply) => serve("index.html", req, reply));
  app.get("/w/*", { schema: dashboardRouteSchema }, (req, reply) => serve("index.html", req, reply));
  app.get("/dashboard.js", { schema: dashboardScriptSchema }, (req, reply) =>
    serve("dashboard.js", req, reply),
  );
  app.get("/dashboard.css", { schema: dashboardStyleSchema }, (req, reply) =>
    serve("dashboard.css", req, reply),
  );
}
