/**
 * Who is calling: the admin (token or dashboard session), a workspace's secret key, or its
 * public key. Every route states what it accepts; anything else is 401 (no or unknown key) or
 * 403 (a key not allowed here). A dashboard session acts as the admin and, with the
 * `X-Tally-Workspace` header, as any workspace; its state-changing calls need the CSRF token.
 *
 * A string that cannot be a key (see `workspaces/key-format.ts`; an admin token has at least
 * 24 characters) is refused before any cache or the store is asked. A well-shaped key that is
 * unknown counts against the caller's address (IPv6: its /64) in a throttle of its own.
 */
import type { FastifyRequest } from "fastify";
import { parse as parseCookies } from "cookie";
import { timingSafeEqual } from "node:crypto";
import { HttpError } from "../domain/errors.js";
import type { Workspace } from "../domain/workspace.js";
import type { Session, Store } from "../storage/storage.js";
import { hashKey, constantTimeEqualHex, type WorkspaceDirectory } from "../workspaces/directory.js";
import { keyShape, looksLikeWorkspaceKey } from "../workspaces/key-format.js";
import { clientKey } from "./client-address.js";
import { RateLimiter } from "./rate-limit.js";

export const SESSION_COOKIE = "tally_session";
/** The shape of a session id (`randomBytes(32).toString("base64url")`). */
export const SESSION_ID_SHAPE = /^[A-Za-z0-9_-]{43}$/;
/** The shortest admin token accepted (API.md, Running). */
export const ADMIN_TOKEN_MIN_LENGTH = 24;

export type Principal =
  | { kind: "admin"; session: Session | null }
  | { kind: "secret"; workspace: Workspace; key: string }
  | { kind: "public"; workspace: Workspace; key: string };

export interface AuthDeps {
  directory: WorkspaceDirectory;
  store: Store;
  adminTokenHash: string;
  /** The per-key limit; null: none (`TALLY_RATE_LIMIT_PER_SECOND=0`, the default). */
  limiter: RateLimiter | null;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1]! : null;
}

/**
 * A cookie of the request, parsed by the `cookie` library: a malformed header or a bad `%`
 * escape gives the raw value (or nothing), never an exception.
 */
export function cookie(req: FastifyRequest, name: string): string | null {
  const h = req.headers.cookie;
  if (!h) return null;
  return parseCookies(h)[name] ?? null;
}

export class Auth {
  /**
   * Refused keys per client address (IPv6: per /64): guessing keys (or a weak admin token) is
   * throttled to 10 tries a second, where known keys get the configured rate.
   */
  private readonly refused = new RateLimiter({ rate: 10, maxEntries: 50_000, maxBytes: 8 * 1024 * 1024 });

  constructor(private readonly deps: AuthDeps) {}

  /** resolveKey, with every refusal of a well-shaped key counted against the client that made it. */
  private async resolveCounted(key: string, ip: string | undefined): Promise<Principal> {
    try {
      return await this.resolveKey(key);
    } catch (err) {
      if (err instanceof HttpError && err.code === "unknown_key" && couldBeAKey(key)) {
        const wait = this.refused.take(clientKey(ip));
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

  /** Resolves a key (no rate limiting, no route rules). A string that cannot be a key never reaches a cache or the store. */
  async resolveKey(key: string): Promise<Principal> {
    const shape = keyShape(key);
    if (shape === "secret") {
      const ws = await this.deps.directory.bySecretKey(key);
      if (ws) return { kind: "secret", workspace: ws, key };
    } else if (shape === "public") {
      const ws = await this.deps.directory.byPublicKey(key);
      if (ws) return { kind: "public", workspace: ws, key };
    } else if (
      !looksLikeWorkspaceKey(key) &&
      key.length >= ADMIN_TOKEN_MIN_LENGTH &&
      constantTimeEqualHex(hashKey(key), this.deps.adminTokenHash)
    ) {
      return { kind: "admin", session: null };
    }
    throw new HttpError("unknown_key");
  }

  /** Whether what authorized a live-feed socket still holds (the key not rotated out, the session not ended). */
  async stillValid(p: Principal): Promise<boolean> {
    if (p.kind === "admin")
      return p.session === null || (await this.deps.store.getSession(p.session.idHash, Date.now())) !== null;
    try {
      const again = await this.resolveKey(p.key);
      return again.kind === p.kind && again.workspace.id === p.workspace.id;
    } catch (err) {
      if (err instanceof HttpError && err.code === "unknown_key") return false;
      throw err;
    }
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
      // A session id is 32 random bytes in base64url: anything else is refused without a lookup.
      const session = SESSION_ID_SHAPE.test(sid)
        ? await this.deps.store.getSession(hashKey(sid), Date.now())
        : null;
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
    const limiter = this.deps.limiter;
    if (limiter === null) return;
    const wait = limiter.take(key);
    if (wait > 0) throw rateLimited(wait);
  }

  async admin(req: FastifyRequest): Promise<Principal & { kind: "admin" }> {
    const p = await this.principal(req);
    if (p.kind !== "admin") throw new HttpError("key_not_allowed", "This endpoint needs the admin token.");
    return p;
  }

  /** The workspace a `/v1` call acts on: its secret key, or the admin naming it in X-Tally-Workspace. */
  async workspace(req: FastifyRequest): Promise<Workspace> {
    return (await this.workspacePrincipal(req)).workspace;
  }

  /** Like `workspace`, with who is acting (the secret key, or the admin). */
  async workspacePrincipal(req: FastifyRequest): Promise<{ workspace: Workspace; principal: Principal }> {
    const p = await this.principal(req);
    if (p.kind === "secret") return { workspace: p.workspace, principal: p };
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
    if (!ws) throw new HttpError("not_found", `No workspace ${id.slice(0, 64)}.`);
    return { workspace: ws, principal: p };
  }

  /** Browser collection: the public key from the query or body. */
  async publicKey(key: string | null, ip: string | undefined): Promise<Workspace> {
    if (!key) throw new HttpError("missing_key", 'Send the public key as ?k=pk_… or in the body as "k".');
    const p = await this.resolveCounted(key, ip);
    if (p.kind !== "public")
      throw new HttpError(
        "key_not_allowed",
        "Browser collection takes the public key (pk_…), never a secret key.",
      );
    this.limit(key);
    return p.workspace;
  }

  /** Entries and estimated bytes of the refused-key throttle (tests, metrics). */
  get throttleSize(): { entries: number; bytes: number } {
    return this.refused.size;
  }
}

/** Whether a refused string could have been a key or the admin token (only those count as guesses). */
function couldBeAKey(key: string): boolean {
  return keyShape(key) !== null || (!looksLikeWorkspaceKey(key) && key.length >= ADMIN_TOKEN_MIN_LENGTH);
}

export function rateLimited(wait: number, message?: string): HttpError {
  return new HttpError(
    "rate_limited",
    message,
    { retry_after_seconds: wait },
    { "retry-after": String(wait) },
  );
}
