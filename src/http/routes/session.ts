/**
 * Dashboard login: the admin token is exchanged for a session cookie (HttpOnly,
 * SameSite=Strict, and Secure when the request came over HTTPS — directly, or through a
 * trusted proxy's `X-Forwarded-Proto`) and a CSRF token the dashboard sends as
 * `X-CSRF-Token` on every state-changing call. Sessions are stored hashed, so they survive
 * restarts and work on every node. Logging out ends the session everywhere and closes the
 * live-feed sockets it opened.
 */
import { serialize as serializeCookie } from "cookie";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { randomBytes } from "node:crypto";
import { HttpError } from "../../domain/errors.js";
import { hashKey } from "../../workspaces/directory.js";
import { SESSION_COOKIE, SESSION_ID_SHAPE, cookie } from "../auth.js";
import type { AppDeps } from "../deps.js";
import { bodyObject } from "../params.js";
import { loginSchema, logoutSchema, sessionSchema } from "../schemas/session.js";

function sessionCookie(req: FastifyRequest, value: string, maxAge: number): string {
  return serializeCookie(SESSION_COOKIE, value, {
    path: "/",
    httpOnly: true,
    sameSite: "strict",
    secure: req.protocol === "https",
    maxAge,
  });
}

export function sessionRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/session", { schema: loginSchema }, async (req, reply) => {
    const b = bodyObject(req.body);
    if (typeof b.token !== "string" || b.token === "")
      throw new HttpError("validation_failed", "Send the admin token as `token`.", { field: "token" });
    await deps.auth.login(req, b.token);
    const sid = randomBytes(32).toString("base64url");
    const csrf = randomBytes(24).toString("base64url");
    const ttl = deps.config.sessionTtlHours * 3_600_000;
    const expiresAt = Date.now() + ttl;
    await deps.store.createSession({ idHash: hashKey(sid), csrfToken: csrf, expiresAt });
    void reply.header("set-cookie", sessionCookie(req, sid, Math.floor(ttl / 1000)));
    return { csrf_token: csrf, expires_at: new Date(expiresAt).toISOString() };
  });

  app.get("/v1/session", { schema: sessionSchema }, async (req) => {
    const sid = cookie(req, SESSION_COOKIE);
    const s =
      sid && SESSION_ID_SHAPE.test(sid) ? await deps.store.getSession(hashKey(sid), Date.now()) : null;
    if (!s) throw new HttpError("missing_key", "Not logged in.");
    return { csrf_token: s.csrfToken, expires_at: new Date(s.expiresAt).toISOString() };
  });

  app.delete("/v1/session", { schema: logoutSchema }, async (req, reply) => {
    const p = await deps.auth.principal(req);
    if (p.kind !== "admin" || !p.session)
      throw new HttpError("key_not_allowed", "Only a dashboard session can log out.");
    await deps.store.deleteSession(p.session.idHash);
    deps.live?.closeSession(p.session.idHash);
    void reply.header("set-cookie", sessionCookie(req, "", 0));
    return reply.code(204).send();
  });
}
