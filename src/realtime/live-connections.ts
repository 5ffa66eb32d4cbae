/**
 * The live feed's open connections on this node: how many each workspace and each client
 * address (IPv6: its /64) holds, capped so no one can pile up sockets (a connection over a
 * cap is refused before the upgrade with 429), and what authorized each one, so connections
 * whose key was rotated out or whose session ended are closed (4401).
 *
 * A slot is reserved when the upgrade request is authorized and released when its TCP socket
 * closes, so an upgrade that never completes does not hold a slot.
 */
import { HttpError } from "../domain/errors.js";
import type { Principal } from "../http/auth.js";

/** Close code of a connection whose key was rotated out or whose dashboard session ended. */
export const CLOSE_REVOKED = 4401;
/** How long a client refused for too many connections is asked to wait. */
const RETRY_AFTER_SECONDS = 10;

export interface LiveLimits {
  perWorkspace: number;
  perClient: number;
}

export interface LiveConnection {
  principal: Principal;
  close(code: number, reason: string): void;
}

/** One key, session or admin token: connections that stand or fall together. */
function authority(p: Principal): string | null {
  if (p.kind === "admin") return p.session ? `session:${p.session.idHash}` : null; // the admin token does not rotate
  return `${p.kind}:${p.key}`;
}

export class LiveConnections {
  private readonly byScope = new Map<string, number>();
  private readonly byClient = new Map<string, number>();
  private readonly open = new Set<LiveConnection>();

  constructor(private readonly limits: LiveLimits) {}

  /** Takes a slot for `scope` and `client`, or throws 429; the returned function gives it back (once). */
  reserve(scope: string, client: string): () => void {
    const s = this.byScope.get(scope) ?? 0;
    const c = this.byClient.get(client) ?? 0;
    if (s >= this.limits.perWorkspace)
      throw tooMany(
        `This workspace already has ${this.limits.perWorkspace} live-feed connections open (TALLY_LIVE_MAX_PER_WORKSPACE); close one or retry later.`,
        "workspace",
        this.limits.perWorkspace,
      );
    if (c >= this.limits.perClient)
      throw tooMany(
        `This address already has ${this.limits.perClient} live-feed connections open (TALLY_LIVE_MAX_PER_CLIENT); close one or retry later.`,
        "client",
        this.limits.perClient,
      );
    this.byScope.set(scope, s + 1);
    this.byClient.set(client, c + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      decrement(this.byScope, scope);
      decrement(this.byClient, client);
    };
  }

  /** Tracks an open connection; the returned function forgets it. */
  add(conn: LiveConnection): () => void {
    this.open.add(conn);
    return () => this.open.delete(conn);
  }

  get size(): number {
    return this.open.size;
  }

  /** Closes the connections a dashboard session opened (logout). */
  closeSession(sessionIdHash: string, reason = "the dashboard session ended"): number {
    return this.closeWhere((a) => a === `session:${sessionIdHash}`, reason);
  }

  /**
   * Asks `stillValid` once per key or session in use, and closes the connections whose
   * authority no longer holds. A check that fails (the store is away) keeps them open.
   */
  async recheck(stillValid: (p: Principal) => Promise<boolean>): Promise<number> {
    const groups = new Map<string, Principal>();
    for (const conn of this.open) {
      const a = authority(conn.principal);
      if (a !== null && !groups.has(a)) groups.set(a, conn.principal);
    }
    let closed = 0;
    for (const [a, p] of groups) {
      let ok: boolean;
      try {
        ok = await stillValid(p);
      } catch {
        continue;
      }
      if (!ok)
        closed += this.closeWhere(
          (x) => x === a,
          p.kind === "admin" ? "the dashboard session ended" : "the key was rotated out",
        );
    }
    return closed;
  }

  private closeWhere(match: (authority: string | null) => boolean, reason: string): number {
    let n = 0;
    for (const conn of [...this.open]) {
      if (!match(authority(conn.principal))) continue;
      this.open.delete(conn);
      conn.close(CLOSE_REVOKED, reason);
      n++;
    }
    return n;
  }
}

function decrement(m: Map<string, number>, k: string): void {
  const n = (m.get(k) ?? 0) - 1;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}

function tooMany(message: string, per: "workspace" | "client", limit: number): HttpError {
  return new HttpError(
    "rate_limited",
    message,
    { per, limit, retry_after_seconds: RETRY_AFTER_SECONDS },
    { "retry-after": String(RETRY_AFTER_SECONDS) },
  );
}
