/**
 * What an erasure removes, decided once for both backends (pure: the backends find candidate
 * rows with `needles()` and write back what this returns).
 *
 * The person's events (those whose identifier list names one of the erased identifiers) keep
 * their name, time, value, consent and attribution credit; they lose their user data (hashes,
 * click ids, cookies, IP, user agent), their identifier list, and — in `event_source_url` and
 * string values of `custom_data` — every click-id and `utm_*` parameter and every mention of
 * the person's identifiers. Any other row that mentions one of the identifiers loses that
 * mention. A value is "mentioned" where it stands alone (a query parameter's value, a path
 * segment, a custom_data string, a user-data field); a value of at least
 * `MIN_EMBEDDED_LENGTH` characters also inside longer text (`fb.1.…<fbclid>`, free text).
 *
 * @example
 * const e = new Erasure(["anonymous_id:a-1234567", "gclid:G-123456789"]);
 * e.scrubUrl("https://shop.example/?gclid=G-123456789&utm_source=ads&page=2", true);
 * // "https://shop.example/?page=2"
 */
import { CLICK_ID_KINDS, type Identifier } from "../domain/event.js";

/** Shorter values are only removed where they stand alone: "42" is inside too much text. */
export const MIN_EMBEDDED_LENGTH = 8;

/** What a removed mention inside longer text becomes. */
export const ERASED = "[erased]";

/**
 * URL parameters that identify one click or visit (every platform's click id, Tally's own)
 * or the campaign it came from (`utm_*`): removed from the person's stored URLs.
 */
const TRACKING_PARAMS: ReadonlySet<string> = new Set([
  ...CLICK_ID_KINDS,
  "tally_click",
  "dclid",
  "gclsrc",
  "twclid",
  "yclid",
  "epik",
  "sccid",
  "rdt_cid",
  "irclickid",
  "mc_eid",
  "_gl",
  "igshid",
  "srsltid",
  "s_kwcid",
  "ef_id",
  "fbc",
  "fbp",
  "_fbc",
  "_fbp",
]);

/** custom_data keys that name the person themselves: dropped from the person's events. */
const PERSON_KEYS: ReadonlySet<string> = new Set([
  "anonymous_id",
  "external_id",
  "user_id",
  "email",
  "em",
  "phone",
  "ph",
  "client_user_agent",
  "user_agent",
  "client_ip_address",
  "ip",
  "ip_address",
]);

/**
 * User-data fields that are the person's alone without being in the identity graph. (Their
 * IP prefix and user agent are theirs too, but also their neighbours': those go with the
 * person's events, and are not hunted for in other people's.)
 */
const DERIVED_FIELDS = ["em_google", "ph_digits", "fbc", "fbp"] as const;

export function isTrackingParam(key: string): boolean {
  const k = key.toLowerCase();
  return k.startsWith("utm_") || TRACKING_PARAMS.has(k);
}

/** An event payload as both backends store it (see the stores' insertEvent). */
interface StoredPayload {
  u?: Record<string, unknown>;
  c?: Record<string, unknown>;
  s?: string | null;
  i?: Identifier[];
  /** Set once the event's person was erased: reattribution keeps its stored credit. */
  e?: 1;
  [k: string]: unknown;
}

export interface ScrubbedPayload {
  payload: string;
  /** The event was the person's own (its sealed IP goes too). */
  hit: boolean;
  /**
   * On the person's own events, every user-data value it held (user agent and IP prefix
   * included): what a platform may have echoed into this event's delivery errors.
   */
  userValues: string[];
}

const DROP = Symbol("drop");

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, " "));
  } catch {
    return s;
  }
}

const jsonInner = (v: string): string => JSON.stringify(v).slice(1, -1);
const formEncode = (v: string): string => new URLSearchParams({ v }).toString().slice(2);

export class Erasure {
  /** `kind:value`, as the identity graph and `touches.click_id` hold them. */
  readonly idents: ReadonlySet<string>;
  private readonly values = new Set<string>();
  /** Values removed inside longer text too, with the encodings they are stored in. */
  private readonly embedded = new Set<string>();
  private readonly shortIdents: Identifier[] = [];

  constructor(idents: Iterable<string>) {
    this.idents = new Set(idents);
    for (const ident of this.idents) {
      const at = ident.indexOf(":");
      const value = ident.slice(at + 1);
      if (at <= 0 || value === "") continue;
      this.addValue(value);
      if (value.length < MIN_EMBEDDED_LENGTH)
        this.shortIdents.push({ kind: ident.slice(0, at) as Identifier["kind"], value });
    }
  }

  private addValue(value: string): void {
    this.values.add(value);
    if (value.length < MIN_EMBEDDED_LENGTH) return;
    const uri = encodeURIComponent(value);
    // Percent-encoding with lower-case hex is as valid (and as common) as the upper-case kind.
    const lowerHex = uri.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase());
    for (const form of [value, jsonInner(value), uri, lowerHex, formEncode(value)]) this.embedded.add(form);
  }

  /**
   * Adds values found in the person's events that are theirs but not in the identity graph
   * (the Google form of the email hash, the phone hash without `+`, the Meta cookies): they
   * are removed from delivery errors and looked for in the file like the identifiers.
   */
  addDerived(values: Iterable<string>): void {
    for (const v of values) if (v.length >= MIN_EMBEDDED_LENGTH) this.addValue(v);
  }

  /** Substrings that find candidate rows (`instr(payload, ?)`): each value as stored in JSON or a URL. */
  needles(): string[] {
    const out = new Set<string>();
    for (const v of this.values) out.add(jsonInner(v));
    for (const v of this.embedded) out.add(jsonInner(v));
    return [...out];
  }

  /** Substrings of a touch id that make it the person's (a utm touch id embeds the visitor id). */
  touchIdNeedles(): string[] {
    const out = new Set<string>([...this.embedded].filter((v) => v.length >= MIN_EMBEDDED_LENGTH));
    for (const { value } of this.shortIdents) out.add(`|${value}|`);
    return [...out];
  }

  /**
   * Byte strings none of the store's files may hold once the erasure is done: the
   * identifiers in every form they are stored in. A short value is looked for only with its
   * context (`external_id:42`, `"external_id":"42"`), since "42" alone is in any file.
   */
  patterns(): string[] {
    const out = new Set<string>(this.embedded);
    for (const ident of this.idents) if (ident.length >= MIN_EMBEDDED_LENGTH) out.add(jsonInner(ident));
    for (const { kind, value } of this.shortIdents) {
      out.add(`${jsonInner(kind)}:${jsonInner(value)}`);
      out.add(`${JSON.stringify(kind)}:${JSON.stringify(value)}`);
      out.add(`"kind":${JSON.stringify(kind)},"value":${JSON.stringify(value)}`);
    }
    return [...out].filter((p) => p.length >= MIN_EMBEDDED_LENGTH);
  }

  /** Whether `s` is one of the values, or holds one long enough to be told apart. */
  mentions(s: string): boolean {
    if (this.values.has(s)) return true;
    for (const v of this.embedded) if (s.includes(v)) return true;
    return false;
  }

  /** `s` with every embedded value replaced by `[erased]` (a value standing alone: all of it). */
  redactText(s: string): string {
    if (this.values.has(s)) return ERASED;
    let out = s;
    for (const v of this.embedded) if (out.includes(v)) out = out.split(v).join(ERASED);
    return out;
  }

  /**
   * A stored URL without the person: parameters (of the query, or a `#a=b` fragment) that
   * mention them go, and on the person's own events (`own`) every click id and `utm_*` too; a
   * path segment that is one of their identifiers becomes `[erased]`. The rest of the URL is
   * left byte for byte.
   */
  scrubUrl(url: string, own: boolean): string {
    const hashAt = url.indexOf("#");
    const beforeHash = hashAt >= 0 ? url.slice(0, hashAt) : url;
    const fragment = hashAt >= 0 ? url.slice(hashAt + 1) : null;
    const q = beforeHash.indexOf("?");
    const query = q >= 0 ? beforeHash.slice(q + 1) : null;
    const path = (q >= 0 ? beforeHash.slice(0, q) : beforeHash)
      .split("/")
      .map((seg) => (seg !== "" && this.mentions(decode(seg)) ? ERASED : seg))
      .join("/");
    let out = path;
    if (query !== null) {
      const kept = this.scrubParams(query, own);
      if (kept !== "" || query === "") out += `?${kept}`;
    }
    if (fragment !== null) {
      const kept = fragment.includes("=")
        ? this.scrubParams(fragment, own)
        : this.mentions(decode(fragment))
          ? ""
          : fragment;
      if (kept !== "" || fragment === "") out += `#${kept}`;
    }
    return this.redactText(out);
  }

  private scrubParams(params: string, own: boolean): string {
    return params
      .split("&")
      .filter((part) => {
        if (part === "") return true;
        const eq = part.indexOf("=");
        const key = decode(eq >= 0 ? part.slice(0, eq) : part);
        const value = eq >= 0 ? decode(part.slice(eq + 1)) : "";
        return !(
          (own && isTrackingParam(key)) ||
          this.mentions(key) ||
          (value !== "" && this.mentions(value))
        );
      })
      .join("&");
  }

  private scrubValue(v: unknown, own: boolean): unknown {
    if (typeof v === "string") {
      if (this.values.has(v)) return DROP;
      return /[?#/]/.test(v) ? this.scrubUrl(v, own) : this.redactText(v);
    }
    if (Array.isArray(v)) return v.map((x) => this.scrubValue(x, own)).filter((x) => x !== DROP);
    if (v !== null && typeof v === "object") return this.scrubObject(v as Record<string, unknown>, own);
    return v;
  }

  /** custom_data without the person (on their own events, without tracking and person keys). */
  scrubObject(o: Record<string, unknown>, own: boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) {
      if (own && (isTrackingParam(k) || PERSON_KEYS.has(k.toLowerCase()))) continue;
      if (this.mentions(k)) continue;
      const s = this.scrubValue(v, own);
      if (s !== DROP) out[k] = s;
    }
    return out;
  }

  /**
   * The stored payload without the person, or null when it held nothing of theirs. On the
   * person's own events the values only they had (Google email hash, phone digits hash, Meta
   * cookies) are added to the erasure (`addDerived`) before they go.
   */
  scrubPayload(payload: string): ScrubbedPayload | null {
    const p = JSON.parse(payload) as StoredPayload;
    const own = (p.i ?? []).some((id) => this.idents.has(`${id.kind}:${id.value}`));
    let userValues: string[] = [];
    if (own) {
      const u = p.u ?? {};
      userValues = Object.values(u).filter((v): v is string => typeof v === "string");
      this.addDerived(DERIVED_FIELDS.map((k) => u[k]).filter((v): v is string => typeof v === "string"));
      p.u = {};
      p.i = [];
      p.e = 1;
    } else if (p.u) {
      p.u = Object.fromEntries(
        Object.entries(p.u).filter(([, v]) => !(typeof v === "string" && this.mentions(v))),
      );
    }
    if (p.c && typeof p.c === "object") p.c = this.scrubObject(p.c, own);
    if (typeof p.s === "string") p.s = this.scrubUrl(p.s, own);
    const out = JSON.stringify(p);
    return out === payload ? null : { payload: out, hit: own, userValues };
  }

  /**
   * A delivery error of one of the person's own events: the erased values go, and so does
   * anything of the event's user data a platform echoed back (`userValues` of scrubPayload).
   */
  redactOwnError(text: string, userValues: readonly string[]): string {
    let out = this.redactText(text);
    for (const v of userValues) if (v.length >= 4 && out.includes(v)) out = out.split(v).join(ERASED);
    return out;
  }
}
