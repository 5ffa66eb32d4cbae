import { parseRetryAfter, retryDelay } from "./backoff.js";
import { batchBody } from "./batches.js";
import { TallyApiError, TallyNetworkError, type TallyError } from "./errors.js";
import type { QueuedEvent } from "./event.js";
import type { ResolvedOptions } from "./options.js";
import { parseErrorObject, parseIngestResponse, type FlushResult } from "./response.js";

/** What `sendBatch` needs besides the options; injectable so tests control time. */
export interface SendContext {
  readonly options: ResolvedOptions;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  readonly now: () => number;
}

type Attempt =
  | { kind: "stored"; result: FlushResult }
  | { kind: "retry"; retryAfterMs: number | null; error: TallyError }
  | { kind: "refused"; error: TallyError };

const SDK_USER_AGENT = "tally-sdk-node/0.1.0";

/** 408 and 429 ask to come back later; 5xx may be gone on the next try. Any other 4xx would fail again. */
function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

async function attempt(batch: readonly QueuedEvent[], body: string, ctx: SendContext): Promise<Attempt> {
  const { options } = ctx;
  const events = batch.map((e) => e.event);
  let response: Response;
  let text: string;
  try {
    response = await options.fetch(options.eventsUrl, {
      method: "POST",
      headers: {
        authorization: `Bearer ${options.secretKey}`,
        "content-type": "application/json",
        "user-agent": SDK_USER_AGENT,
      },
      body,
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    // Read the body even when it is not needed, so the connection can be reused.
    text = await response.text();
  } catch (cause) {
    // Whether or not the server stored it, sending again is safe: the event_ids are the same.
    const reason = cause instanceof Error ? cause.message : String(cause);
    return {
      kind: "retry",
      retryAfterMs: null,
      error: new TallyNetworkError(`request failed: ${reason}`, events, { cause }),
    };
  }
  if (response.ok) return { kind: "stored", result: parseIngestResponse(batch, text) };
  const retryable = isRetryableStatus(response.status);
  const error = new TallyApiError(
    response.status,
    parseErrorObject(response.status, text),
    events,
    retryable,
  );
  if (!retryable) return { kind: "refused", error };
  const header = response.headers.get("retry-after");
  return { kind: "retry", retryAfterMs: parseRetryAfter(header, ctx.now()), error };
}

/**
 * POST one batch to `/v1/events`, retrying network errors, 408, 429 and 5xx with capped
 * exponential backoff and full jitter (never sooner than `Retry-After`). Resolves with the
 * per-event results of the `200`; rejects with a `TallyApiError` for a refusal that would
 * fail again, or with the last error once `maxRetries` retries are spent.
 */
export async function sendBatch(batch: readonly QueuedEvent[], ctx: SendContext): Promise<FlushResult> {
  const body = batchBody(batch, ctx.options.testEventCode);
  for (let retry = 0; ; retry += 1) {
    const outcome = await attempt(batch, body, ctx);
    if (outcome.kind === "stored") return outcome.result;
    if (outcome.kind === "refused" || retry >= ctx.options.maxRetries) throw outcome.error;
    await ctx.sleep(retryDelay(retry, outcome.retryAfterMs, ctx.options, ctx.random));
  }
}
