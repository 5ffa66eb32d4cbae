/**
 * Who may open `GET /v1/live`, decided before the upgrade so a refusal is a plain HTTP answer
 * (401/403 with the contract's error object):
 *
 * - a secret key as `?token=`, as `Sec-WebSocket-Protocol: tally, <key>` (browsers cannot set
 *   headers on a WebSocket), or as `Authorization: Bearer`: that key's workspace only;
 * - the admin token the same ways, or a dashboard session cookie, with `?workspace=<id>`
 *   (or `*`: every workspace's conversions and alerts, for the overview).
 *
 * A session cookie rides along on any request the browser makes, and browsers do not apply
 * CORS to WebSockets, so a session is accepted only when `Origin` is this server itself.
 */
import type { FastifyRequest } from "fastify";
import { HttpError } from "../domain/errors.js";
import { ALL_WORKSPACES } from "../realtime/live-hub.js";
import type { LiveGrant } from "../realtime/live.js";
import { bearer } from "./auth.js";
import type { AppDeps } from "./deps.js";
import { query } from "./params.js";

export const LIVE_SUBPROTOCOL = "tally";

/** The key carried in `Sec-WebSocket-Protocol: tally, <key>`, if any. */
export function protocolKey(header: string | string[] | undefined): string | null {
  if (typeof header !== "string") return null;
  const parts = header
    .split(",")
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.includes(LIVE_SUBPROTOCOL)) return null;
  return parts.find((p) => p !== LIVE_SUBPROTOCOL) ?? null;
}

export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (!origin || origin === "null") return false;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

export async function authorizeLive(
  req: FastifyRequest,
  deps: Pick<AppDeps, "auth" | "store">,
): Promise<LiveGrant> {
  const q = query(req.query);
  const key = q.token || protocolKey(req.headers["sec-websocket-protocol"]) || bearer(req);
  const p = await deps.auth.principal(req, key);
  const asked = q.workspace || null;

  if (p.kind === "public")
    throw new HttpError("key_not_allowed", "A public key cannot read the live feed; use the secret key.");
  if (p.kind === "secret") {
    if (asked !== null && asked !== p.workspace.id)
      throw new HttpError("key_not_allowed", "This key belongs to another workspace.");
    return { scope: p.workspace.id, principal: p };
  }
  if (p.session && !sameOrigin(req))
    throw new HttpError(
      "csrf_failed",
      "A dashboard session may open the live feed only from the dashboard's own page (Origin must match Host).",
    );
  if (asked === null)
    throw new HttpError(
      "key_not_allowed",
      "Name the workspace to watch: ?workspace=<id> (or ?workspace=* for all of them).",
      { field: "workspace" },
    );
  if (asked === ALL_WORKSPACES) return { scope: ALL_WORKSPACES, principal: p };
  // The id's shape first: what cannot be an id never reaches the store.
  if (!/^ws_[0-9a-z]{26}$/.test(asked) || !(await deps.store.getWorkspace(asked)))
    throw new HttpError("not_found", `No workspace ${asked.slice(0, 64)}.`);
  return { scope: asked, principal: p };
}
