// Delivery to `POST /t/collect`: small batches, acknowledged while the page lives, beaconed when
// it goes away, and parked in a bounded localStorage outbox when the network or the collector
// fails. Events carry their event_id, so a batch sent twice (two tabs retrying the same outbox,
// a response lost at unload) is deduplicated by the server, never counted twice.

import { OUTBOX, readJSON, removeItem, writeJSON } from "./device.js";
import { safe } from "./safe.js";
import type { TallyEvent } from "./types.js";

/** Events per request: well under the 64 KiB that sendBeacon and keepalive fetch accept. */
const CHUNK = 20;
/** Outbox bound: the oldest events go first. */
const OUTBOX_MAX = 100;
const FIRST_RETRY_MS = 5e3;
const LAST_RETRY_MS = 3e5;

export interface Transport {
  /** Sends now; `unloading` when the page is being hidden or left. */
  send: (events: TallyEvent[], unloading?: boolean) => void;
  /** Sends what the outbox holds (on load, on `online`, on a backoff timer). */
  retry: () => void;
  /** Empties the outbox (consent withdrawn). */
  clear: () => void;
}

/** Plain email and phone never reach the device's storage: an event parked offline loses them. */
const forStorage = (e: TallyEvent): TallyEvent =>
  Object.assign({}, e, {
    user_data: Object.assign({}, e.user_data, {
      email: undefined,
      phone: undefined,
      em: undefined,
      ph: undefined,
    }),
  });

/** Identity of an event in the outbox (a site may reuse one id for two event names). */
const keyOf = (e: TallyEvent): string => e.event_name + " " + e.event_id;

/**
 * @param url  the collect URL, `…/t/collect?k=pk_…`
 * @param mayStore  whether consent currently allows sending and storing
 */
export function createTransport(url: string, key: string, mayStore: () => boolean): Transport {
  let timer: ReturnType<typeof setTimeout> | 0 = 0;
  let wait = FIRST_RETRY_MS;

  // The outbox holds an event until a response acknowledges it: a retry that dies with its page
  // is sent again by the next one (duplicates are the server's to drop, by event_id).
  const settle = (done: TallyEvent[], failed: TallyEvent[]): void => {
    if (!mayStore()) return;
    const settled = done.concat(failed).map(keyOf);
    const kept = (readJSON<TallyEvent[]>(OUTBOX) || [])
      .filter((e) => settled.indexOf(keyOf(e)) < 0)
      .concat(failed.map(forStorage))
      .slice(-OUTBOX_MAX);
    if (kept.length) writeJSON(OUTBOX, kept);
    else removeItem(OUTBOX);
    if (!failed.length) wait = FIRST_RETRY_MS;
    else if (!timer) {
      timer = setTimeout(
        safe(() => {
          timer = 0;
          retry();
        }),
        wait,
      );
      wait = Math.min(wait * 2, LAST_RETRY_MS);
    }
  };

  const beacon = (body: string): boolean => !!navigator.sendBeacon && navigator.sendBeacon(url, body);

  // While the page lives, fetch: its answer tells a delivered batch from one to retry, which a
  // beacon cannot. When the page is going away, sendBeacon: the browser delivers it after unload.
  // Either way the other is the fallback. Both send text/plain, so no CORS preflight.
  const post = (events: TallyEvent[], unloading?: boolean): void => {
    if (navigator.onLine === false) return settle([], events);
    const body = JSON.stringify({ k: key, events });
    if (unloading && beacon(body)) return;
    try {
      fetch(url, { method: "POST", body, keepalive: true, credentials: "omit" }).then(
        // 408/429/5xx may pass later; any other refusal would be refused again.
        (r) =>
          r.status > 499 || r.status === 429 || r.status === 408 ? settle([], events) : settle(events, []),
        () => settle([], events),
      );
    } catch {
      if (!beacon(body)) settle([], events);
    }
  };

  const send = (events: TallyEvent[], unloading?: boolean): void => {
    for (let i = 0; i < events.length; i += CHUNK) post(events.slice(i, i + CHUNK), unloading);
  };

  // Events too old for the server (7 days) are sent anyway: it answers for them, which clears them.
  const retry = (): void => {
    const events = readJSON<TallyEvent[]>(OUTBOX);
    if (mayStore() && events && events.length && navigator.onLine !== false) send(events);
  };

  return { send, retry, clear: () => removeItem(OUTBOX) };
}
