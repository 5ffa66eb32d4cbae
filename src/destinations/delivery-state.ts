/**
 * The outbox row's states and every change between them, as one pure function: the delivery
 * worker asks it for each row it marks, so the diagram below is the code.
 *
 *   pending ──delivered──────────────────────────────▶ delivered
 *      │ ▲
 *      │ ├─retry (429/5xx/timeout), attempts < max ─ (again after the backoff, ≥ Retry-After)
 *      │ └─interrupted (shutdown; not an attempt) ─── (again at once)
 *      ├──failed (other 4xx, permanent error) ───────▶ failed
 *      ├──skipped (never sent: no test mode, cannot be prepared) ─▶ failed
 *      └──retry, attempts ≥ max ─────────────────────▶ dead ──replayed──▶ pending (attempts 0)
 *
 * `delivered` and `failed` are final. Replay is done by the store in bulk (`replayDead`),
 * which applies the `dead → pending` row of this table in SQL.
 */
import type { DeliveryStatus } from "../storage/storage.js";
import type { RowOutcome } from "./types.js";

/** Where a row stands: its status, the attempts it has used, and its destination's limit. */
export interface DeliveryState {
  status: DeliveryStatus;
  attempts: number;
  maxAttempts: number;
}

/** What happened to a row: the platform's answer to an attempt, or one of the changes without one. */
export type DeliveryOutcome =
  RowOutcome | { status: "skipped"; error: string } | { status: "interrupted" } | { status: "replayed" };

export interface DeliveryTransition {
  status: DeliveryStatus;
  attempts: number;
  /** The last answer's HTTP status and error (or note); absent: the row keeps its last ones (replay). */
  code?: number | null;
  error?: string | null;
  /** When to try again: at once, after the backoff for `attempts`, or never. */
  due: "now" | "backoff" | null;
  /** The platform's Retry-After, which the backoff must not undercut. */
  retryAfterMs?: number;
  /** The row was delivered by this change. */
  delivered: boolean;
}

export const INTERRUPTED_ERROR = "interrupted by a shutdown; will be sent again";

/**
 * @example
 * nextDeliveryState({ status: "pending", attempts: 19, maxAttempts: 20 }, { status: "retry", code: 503, error: "503" });
 * // { status: "dead", attempts: 20, code: 503, error: "503 (gave up after 20 attempts)", due: null, delivered: false }
 *
 * Throws for a change the outbox never makes (a final row answered, a pending row replayed):
 * that is a bug, not an outcome.
 */
export function nextDeliveryState(current: DeliveryState, outcome: DeliveryOutcome): DeliveryTransition {
  if (outcome.status === "replayed") {
    if (current.status !== "dead") throw noTransition(current, outcome);
    return { status: "pending", attempts: 0, due: "now", delivered: false };
  }
  if (current.status !== "pending") throw noTransition(current, outcome);
  const attempts = current.attempts + 1;
  switch (outcome.status) {
    case "delivered":
      return {
        status: "delivered",
        attempts,
        code: outcome.code,
        error: outcome.note ?? null,
        due: null,
        delivered: true,
      };
    case "failed":
      return {
        status: "failed",
        attempts,
        code: outcome.code,
        error: outcome.error,
        due: null,
        delivered: false,
      };
    case "retry":
      if (attempts >= current.maxAttempts)
        return {
          status: "dead",
          attempts,
          code: outcome.code,
          error: `${outcome.error} (gave up after ${attempts} attempts)`,
          due: null,
          delivered: false,
        };
      return {
        status: "pending",
        attempts,
        code: outcome.code,
        error: outcome.error,
        due: "backoff",
        ...(outcome.retryAfterMs !== undefined ? { retryAfterMs: outcome.retryAfterMs } : {}),
        delivered: false,
      };
    case "skipped":
      return {
        status: "failed",
        attempts: current.attempts,
        code: null,
        error: outcome.error,
        due: null,
        delivered: false,
      };
    case "interrupted":
      return {
        status: "pending",
        attempts: current.attempts,
        code: null,
        error: INTERRUPTED_ERROR,
        due: "now",
        delivered: false,
      };
  }
}

function noTransition(current: DeliveryState, outcome: DeliveryOutcome): Error {
  return new Error(`no delivery transition from ${current.status} on ${outcome.status}`);
}
