import type { QueuedEvent } from "./event.js";

/**
 * The request body for a batch. Events were serialized at `track()` time, so this only joins
 * them; the bytes sent on every retry are the same.
 */
export function batchBody(batch: readonly QueuedEvent[], testEventCode: string | undefined): string {
  const test = testEventCode === undefined ? "" : `,"test_event_code":${JSON.stringify(testEventCode)}`;
  return `{"data":[${batch.map((e) => e.json).join(",")}]${test}}`;
}

/**
 * Cut queued events, in order, into batches of at most `maxEvents` events whose body stays
 * within `maxBytes`. An event too large to fit any batch goes alone, and the server's 413
 * reports it.
 *
 * @example
 * toBatches(events, 1000, 1_000_000); // [[…1000], [… the rest]]
 */
export function toBatches(
  events: readonly QueuedEvent[],
  maxEvents: number,
  maxBytes: number,
  testEventCode?: string,
): QueuedEvent[][] {
  const overhead = Buffer.byteLength(batchBody([], testEventCode), "utf8");
  const batches: QueuedEvent[][] = [];
  let current: QueuedEvent[] = [];
  let bytes = overhead;
  for (const event of events) {
    const size = event.bytes + (current.length > 0 ? 1 : 0); // the joining comma
    if (current.length > 0 && (current.length >= maxEvents || bytes + size > maxBytes)) {
      batches.push(current);
      current = [];
      bytes = overhead;
    }
    bytes += event.bytes + (current.length > 0 ? 1 : 0);
    current.push(event);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
