// What the tag keeps on the device. Every access is guarded: storage may be disabled, full,
// or forbidden (sandboxed frames), and none of that may break the page.

import type { Attribution } from "./capture.js";
import type { Consent } from "./types.js";

/** localStorage: the visitor record (id, consent, attribution, expiry). */
export const RECORD = "tally";
/** localStorage: events waiting for the network. */
export const OUTBOX = "tally_outbox";
/** First-party cookie: the anonymous id. */
export const ID_COOKIE = "_tally_id";
/** Lifetime of the anonymous id and of a consent choice: 13 months, refreshed on each visit. */
export const LIFE_S = 395 * 86400;

export interface VisitorRecord {
  /** anonymous_id */
  i?: string;
  c?: Consent;
  a?: Attribution;
  /** expiry, ms */
  x?: number;
}

export function readJSON<T>(key: string): T | undefined {
  try {
    const s = localStorage.getItem(key);
    return s ? (JSON.parse(s) as T) : undefined;
  } catch {
    return undefined;
  }
}

export function writeJSON(key: string, value: unknown): void {
  try {
    localStorage.setItem(key, JSON.stringify(value));
  } catch {
    // Full or disabled: the tag keeps working from memory.
  }
}

export function removeItem(key: string): void {
  try {
    localStorage.removeItem(key);
  } catch {
    // Disabled storage holds nothing to remove.
  }
}

export function getCookie(name: string): string | undefined {
  try {
    const m = new RegExp("(?:^|; )" + name + "=([^;]*)").exec(document.cookie);
    return m && m[1] ? decodeURIComponent(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Sets (or, with maxAge 0, deletes) a first-party cookie for the whole site. */
export function setCookie(name: string, value: string, maxAge: number, domain: string): void {
  try {
    document.cookie =
      `${name}=${encodeURIComponent(value)}; path=/; max-age=${maxAge}; SameSite=Lax` +
      (domain ? "; domain=" + domain : "") +
      (location.protocol === "https:" ? "; Secure" : "");
  } catch {
    // Cookies forbidden here: localStorage still carries the id.
  }
}
