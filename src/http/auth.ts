/**
 * Who is calling: the admin (token or dashboard session), a workspace's secret key, or its
 * public key. Every route states what it accepts; anything else is 401 (no or unknown key) or
 * 403 (a key not allowed here). A dashboard session acts as the admin and, with the
 * `X-Tally-Workspace` header, as any workspace; its state-changing calls need the CSRF token.
 */
import type { FastifyRequest } from "fastify";
import { timingSafeEqual } from "node:crypto";
import { HttpError } from "../domain/errors.js";
import type { Workspace } from "../domain/workspace.js";
import type { Session, Store } from "../storage/storage.js";
import { hashKey, constantTimeEqualHex, type WorkspaceDirectory } from "../workspaces/directory.js";
import { RateLimiter } from "./rate-limit.js";

export const SESSION_COOKIE = "tally_session";

export type Principal =
  | { kind: "admin"; session: Session | null }
  | { kind: "secret"; workspace: Workspace; key: string }
  | { kind: "public"; workspace: Workspace; key: string };

export interface AuthDeps {
  directory: WorkspaceDirectory;
  store: Store;
  adminTokenHash: string;
  limiter: RateLimiter;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

export function cookie(req: FastifyRequest, name: string): string | null {
  const h = req.headers.cookie;
  if (!h) return null;
  for (const part of h.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      // A bad %-escape is a value no session has, not a 500 (cookie parsers keep it raw too).
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

export class Auth {
  /**
   * Refused keys per client address: guessing keys (or a weak admin token) is throttled to
   * 10 tries a second, where known keys get the configured rate.
   */
  private readonly refused = new RateLimiter(10);

  constructor(private readonly deps: AuthDeps) {}

  /** resolveKey, with every refusal counted against the client that made it. */
  private async resolveCounted(key: string, client: string): Promise<Principal> {
    try {
      return await this.resolveKey(key);
    } catch (err) {
      if (err instanceof HttpError && err.code === "unknown_key") {
        const wait = this.refused.take(client);
        if (wait > 0)
          throw rateLimited(
            wait,
            "Too many unknown keys from this address; retry after the time in `Retry-After`.",
          );
      }
      throw err;
    }
  }

  /** Dashboard login: the admin token, throttled like any key. */
  async login(req: FastifyRequest, token: string): Promise<void> {
    const p = await this.resolveCounted(token, req.ip).catch((err: unknown) => {
      if (err instanceof HttpError && err.code === "unknown_key") return null;
      throw err; // rate_limited, or the store
    });
    if (p?.kind !== "admin") throw new HttpError("unknown_key", "That is not the admin token.");
  }

  /** Resolves a key (no rate limiting, no route rules). */
  async resolveKey(key: string): Promise<Principal> {
    // Keys are printable ASCII; anything else is unknown without a look-up.
    if (!/^[\x21-\x7e]+$/.test(key)) throw new HttpError("unknown_key");
    if (key.startsWith("sk_")) {
      const ws = await this.deps.directory.bySecretKey(key);
      if (ws) return { kind: "secret", workspace: ws, key };
    } else if (key.startsWith("pk_")) {
      const ws = await this.deps.directory.byPublicKey(key);
      if (ws) return { kind: "public", workspace: ws, key };
    } else if (constantTimeEqualHex(hashKey(key), this.deps.adminTokenHash)) {
      return { kind: "admin", session: null };
    }
    throw new HttpError("unknown_key");
  }

  async principal(req: FastifyRequest, explicitKey?: string | null): Promise<Principal> {
    const key = explicitKey ?? bearer(req);
    if (key) {
      const p = await this.resolveCounted(key, req.ip);
      this.limit(key);
      return p;
    }
    const sid = cookie(req, SESSION_COOKIE);
    if (sid) {
      const session = await this.deps.store.getSession(hashKey(sid), Date.now());
      if (!session) throw new HttpError("unknown_key", "The dashboard session has expired; log in again.");
      if (!SAFE_METHODS.has(req.method)) this.checkCsrf(req, session);
      this.limit(session.idHash);
      return { kind: "admin", session };
    }
    throw new HttpError("missing_key");
  }

  private checkCsrf(req: FastifyRequest, session: Session): void {
    const sent = req.headers["x-csrf-token"];
    const a = Buffer.from(typeof sent === "string" ? sent : "");
    const b = Buffer.from(session.csrfToken);
    if (a.length !== b.length || !timingSafeEqual(a, b)) throw new HttpError("csrf_failed");
    const origin = req.headers.origin;
    if (origin && origin !== "null") {
      let host: string | null;
      try {
        host = new URL(origin).host;
      } catch {
        host = null;
      }
      if (host !== req.headers.host)
        throw new HttpError("csrf_failed", "The request comes from another site.");
    }
  }

  private limit(key: string): void {
    const wait = this.deps.limiter.take(key);
    if (wait > 0) throw rateLimited(wait);
  }

  async admin(req: FastifyRequest): Promise<Principal & { kind: "admin" }> {
    const p = await this.principal(req);
    if (p.kind !== "admin") throw new HttpError("key_not_allowed", "This endpoint needs the admin token.");
    return p;
  }

  /** The workspace a `/v1` call acts on: its secret key, or the admin naming it in X-Tally-Workspace. */
  async workspace(req: FastifyRequest): Promise<Workspace> {
    const p = await this.principal(req);
    if (p.kind === "secret") return p.workspace;
    if (p.kind === "public")
      throw new HttpError(
        "key_not_allowed",
        "A public key can only send events to /t/*; use the secret key.",
      );
    const id = req.headers["x-tally-workspace"];
    if (typeof id !== "string" || id === "")
      throw new HttpError(
        "key_not_allowed",
        "This endpoint needs a workspace's secret key (or the admin with an X-Tally-Workspace header).",
      );
    const ws = await this.deps.store.getWorkspace(id);
    if (!ws) throw new HttpError("not_found", `No workspace ${id}.`);
    return ws;
  }

  /** Browser collection: the public key from the query or body. */
  async publicKey(key: string | null, client: string): Promise<Workspace> {
    if (!key) throw new HttpError("missing_key", 'Send the public key as ?k=pk_… or in the body as "k".');
    const p = await this.resolveCounted(key, client);
    if (p.kind !== "public")
      throw new HttpError(
        "key_not_allowed",
        "Browser collection takes the public key (pk_…), never a secret key.",
      );
    this.limit(key);
    return p.workspace;
  }
}

function rateLimited(wait: number, message?: string): HttpError {
  return new HttpError(
    "rate_limited",
    message,
    { retry_after_seconds: wait },
    { "retry-after": String(wait) },
  );
}
