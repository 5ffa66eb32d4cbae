/**
 * What every spend client shares: the pulled row, the outcome of a pull, and one request sent
 * with retries — a retryable answer (429, 5xx, a timeout, the platform's own rate-limit codes)
 * is tried again after the platform's `Retry-After` (or a short backoff); one that asks for a
 * longer wait than a sync may take ends the pull with that wait, so the source is retried
 * then. Other refusals (credentials, permissions) end the pull with the platform's message.
 */
import { parseRetryAfter } from "../../destinations/backoff.js";
import { excerpt, isRetryableStatus, jsonOf } from "../../destinations/http-status.js";
import type { HttpAnswer, HttpRequest, Send } from "../../destinations/types.js";
import type { SpendRecord } from "../../storage/spend-store.js";

/** A row as a platform reports it: a SpendRecord without the workspace and the source. */
export type PulledRow = Omit<SpendRecord, "workspaceId" | "sourceId">;

export type PullResult =
  { ok: true; rows: PulledRow[]; requests: number } | { ok: false; error: string; retryAfterMs?: number };

export interface PullContext {
  send: Send;
  now: number;
  /** First and last day pulled (YYYY-MM-DD, inclusive). */
  since: string;
  until: string;
  /** The currency of rows the platform gives none for. */
  currency: string;
  /** Waits between attempts (tests: instant). */
  sleep?: (ms: number) => Promise<void>;
  /** Most attempts of one request. */
  attempts?: number;
}

/** How a platform reads one answer. */
export type Verdict =
  | { kind: "ok"; body: unknown }
  | { kind: "retry"; error: string; retryAfterMs?: number }
  | { kind: "fail"; error: string };

/** Longest wait inside one sync; a platform asking for more gets its wait between syncs. */
export const MAX_WAIT_IN_SYNC_MS = 30_000;
const DEFAULT_ATTEMPTS = 4;

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The generic reading of an HTTP answer: 2xx JSON ok, retryable statuses retry, others fail. */
export function verdictOf(
  answer: HttpAnswer,
  platform: string,
  now: number,
  detail: (body: unknown) => string | null,
): Verdict {
  if (answer.kind === "timeout")
    return { kind: "retry", error: `${platform} did not answer within ${answer.ms} ms` };
  if (answer.kind === "network")
    return { kind: "retry", error: `${platform} could not be reached: ${answer.message}` };
  if (answer.kind === "refused") return { kind: "fail", error: `endpoint_not_allowed: ${answer.message}` };
  const body = jsonOf(answer.text);
  if (answer.status >= 200 && answer.status < 300) {
    if (body === null) return { kind: "retry", error: `${platform} answered ${answer.status} without JSON` };
    return { kind: "ok", body };
  }
  const why = detail(body) ?? (answer.text ? excerpt(answer.text) : null);
  const error = `${platform} answered ${answer.status}${why ? `: ${why}` : ""}`;
  if (isRetryableStatus(answer.status)) {
    const retryAfterMs = parseRetryAfter(answer.headers["retry-after"], now);
    return retryAfterMs === undefined ? { kind: "retry", error } : { kind: "retry", error, retryAfterMs };
  }
  return { kind: "fail", error };
}

/**
 * Sends `req` until an answer is ok or final. Returns the body, or the pull's failure.
 */
export async function requestWithRetries(
  req: HttpRequest,
  timeoutMs: number,
  ctx: PullContext,
  read: (answer: HttpAnswer) => Verdict,
): Promise<{ ok: true; body: unknown } | { ok: false; error: string; retryAfterMs?: number }> {
  const sleep = ctx.sleep ?? defaultSleep;
  const attempts = ctx.attempts ?? DEFAULT_ATTEMPTS;
  let last: Verdict = { kind: "fail", error: "no attempt made" };
  for (let n = 1; n <= attempts; n++) {
    last = read(await ctx.send(req, timeoutMs));
    if (last.kind === "ok") return { ok: true, body: last.body };
    if (last.kind === "fail") return { ok: false, error: last.error };
    const wait = last.retryAfterMs ?? 1000 * 2 ** (n - 1);
    if (wait > MAX_WAIT_IN_SYNC_MS) return { ok: false, error: last.error, retryAfterMs: wait };
    if (n < attempts) await sleep(wait);
  }
  return {
    ok: false,
    error: last.error,
    ...(last.kind === "retry" && last.retryAfterMs !== undefined ? { retryAfterMs: last.retryAfterMs } : {}),
  };
}

/** A number from a platform's string or number; null when absent or not a number ("-"). */
export function num(v: unknown): number | null {
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v !== "string" || v.trim() === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** A whole count, or null. */
export function whole(v: unknown): number | null {
  const n = num(v);
  return n === null ? null : Math.max(0, Math.round(n));
}

export const str = (v: unknown): string | null =>
  typeof v === "string" && v.trim() !== "" ? v.trim() : typeof v === "number" ? String(v) : null;
