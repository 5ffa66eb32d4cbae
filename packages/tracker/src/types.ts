// Shapes the tag sends (API.md "Events"), and the calls a page may make.

export type Rec = Record<string, unknown>;

/** The three consent signals of API.md; anything but these two values is ignored. */
export type ConsentValue = "granted" | "denied";
export interface Consent {
  ad_user_data?: ConsentValue;
  ad_personalization?: ConsentValue;
  analytics?: ConsentValue;
}

/** One event of `POST /t/collect` (`{"k": "pk_…", "events": [TallyEvent…]}`). */
export interface TallyEvent {
  event_name: string;
  /** Unix seconds (or whatever the page passed as `event_time`). */
  event_time: unknown;
  event_id: string;
  action_source: "website";
  event_source_url: string;
  custom_data: Rec;
  /** Added when the event leaves the page, from the identity known at that moment. */
  user_data?: Rec;
  consent?: Consent;
}

/** Options of a `track` call. */
export interface TrackOptions {
  /** Deduplication id; pass your order id to pair with the server's copy of the same event. */
  event_id?: string;
  /** Unix seconds or ISO-8601; default now. */
  event_time?: number | string;
}

/** Who the visitor is, as far as the site knows. Kept in memory for the page only. */
export interface Identity {
  external_id?: string;
  email?: string;
  phone?: string;
}

/**
 * The `tally()` function a page calls (queued by the snippet until the tag has loaded).
 *
 * @example
 * tally('consent', { analytics: 'granted', ad_user_data: 'granted' });
 * tally('identify', { external_id: 'crm-77', email: 'jane@example.com' });
 * tally('track', 'Purchase', { value: 99.99, currency: 'USD', order_id: '1001' }, { event_id: 'order-1001' });
 */
export interface Tally {
  (command: "consent", consent: Consent): void;
  (command: "track", eventName: string, params?: Rec, options?: TrackOptions): void;
  (command: "identify", identity: Identity): void;
}

/** What `window.tally` is: the snippet's stub (with its queue `q`) or the loaded tag. */
export interface TallyGlobal {
  (...args: unknown[]): void;
  /** The stub's queue of `arguments`; on the loaded tag, a `push` that calls it. */
  q?: ArrayLike<unknown>[] | { push: (args: ArrayLike<unknown>) => void };
  loaded?: boolean;
}

declare global {
  interface Window {
    tally?: TallyGlobal;
  }
}
