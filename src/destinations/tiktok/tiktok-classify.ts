/**
 * Reading TikTok answers: HTTP 200 even for most errors, the outcome is `code`. 0 is taken,
 * 20001 (partial success) too; 40100 is rate limiting and retried; 40001 (permission) concerns
 * the destination; other 400xx (40002 invalid parameter) may come from one event, so the
 * worker isolates it; 5xxxx are server faults and retried.
 */
import { allDelivered, classifyStatus, excerpt, jsonOf } from "../http-status.js";
import type { BatchOutcome, HttpAnswer } from "../types.js";

export const TIKTOK_RATE_LIMITED = 40100;

export function classifyTikTokResponse(
  res: HttpAnswer & { kind: "response" },
  count: number,
  now = Date.now(),
): BatchOutcome {
  const body = jsonOf(res.text) as { code?: unknown; message?: unknown } | null;
  if (res.status < 200 || res.status >= 300)
    return classifyStatus(
      res,
      "TikTok",
      typeof body?.message === "string" ? excerpt(body.message) : null,
      now,
    );
  if (body === null || typeof body.code !== "number")
    return {
      kind: "retry",
      code: res.status,
      error: `TikTok answered ${res.status} without a code: ${excerpt(res.text)}`,
    };
  const code = body.code;
  if (code === 0 || code === 20001) return allDelivered(res.status, count);
  const error = `TikTok code ${code}: ${typeof body.message === "string" ? excerpt(body.message) : "no message"}`;
  if (code === TIKTOK_RATE_LIMITED || code >= 50000) return { kind: "retry", code: res.status, error };
  return {
    kind: "failed",
    code: res.status,
    error,
    isolate: code >= 40000 && code < 40100 && code !== 40001,
  };
}
