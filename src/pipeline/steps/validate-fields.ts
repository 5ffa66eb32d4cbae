/**
 * The field validators `validateEvent` composes, each over one field (or one object of
 * fields) of a raw event: the value the pipeline reads, typed, or a rejection naming the field.
 * None of them knows the order it runs in; validate.ts does.
 */
import { nameProblem } from "../../experiments/names.js";
import { CLICK_ID_KINDS, type Consent } from "../../domain/event.js";
import { DAY_MS, MINUTE_MS, parseTime } from "../../domain/time.js";
import { NON_CONVERSION_EVENTS, type ConversionAction } from "../../domain/workspace.js";
import { ok, reject, type Rejection, type StepResult } from "../result.js";

export const ACTION_SOURCES = [
  "website",
  "app",
  "email",
  "phone_call",
  "chat",
  "physical_store",
  "system_generated",
  "business_messaging",
  "other",
] as const;

const USER_STRING_FIELDS = [
  "email",
  "em",
  "phone",
  "ph",
  "external_id",
  "anonymous_id",
  "client_ip_address",
  "client_user_agent",
  "fbc",
  "fbp",
  ...CLICK_ID_KINDS,
] as const;

export type UserInput = Partial<Record<(typeof USER_STRING_FIELDS)[number], string>> & {
  /** The tracker saw `navigator.webdriver` (traffic quality's `bot`); anything but `true` is ignored. */
  webdriver?: true;
};

/** API.md: `event_id` and `order_id` are 1–128 characters. */
const MAX_ID = 128;
/** Unicode category Cc: U+0000–U+001F and U+007F–U+009F. */
const CONTROL_CHARACTER = /\p{Cc}/u;
const MAX_STRING = 2048;
const CONSENT_KEYS = ["ad_user_data", "ad_personalization", "analytics"] as const;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const absent = (v: unknown): v is undefined | null => v === undefined || v === null;

/** `event_name`: a conversion action of the workspace or a non-conversion event. */
export function eventNameField(
  v: unknown,
  actions: ReadonlyMap<string, ConversionAction>,
): StepResult<{ name: string; action: ConversionAction | null }> {
  if (absent(v) || v === "") return reject("missing_field", "event_name");
  if (typeof v !== "string") return reject("invalid_field", "event_name", "`event_name` must be a string.");
  const action = actions.get(v) ?? null;
  if (!action && !(NON_CONVERSION_EVENTS as readonly string[]).includes(v)) {
    const known = [...actions.keys(), ...NON_CONVERSION_EVENTS].join(", ");
    return reject(
      "unknown_event_name",
      "event_name",
      `Unknown event name "${v.slice(0, 64)}". Defined names: ${known}.`,
    );
  }
  return ok({ name: v, action });
}

export interface TimeLimits {
  receivedAt: number;
  maxAgeDays: number;
  maxFutureMinutes: number;
  /** Browser collection may omit event_time: the server's clock stands in. */
  eventTimeOptional: boolean;
}

/** `event_time`: unix seconds or ISO-8601 with a zone, within the accepted age and lead. */
export function eventTimeField(v: unknown, limits: TimeLimits): StepResult<number> {
  if (absent(v)) {
    if (!limits.eventTimeOptional) return reject("missing_field", "event_time");
    return ok(limits.receivedAt);
  }
  const t = parseTime(v);
  if (t === null)
    return reject(
      "invalid_field",
      "event_time",
      "`event_time` must be unix seconds or ISO-8601 with a zone.",
    );
  if (t < limits.receivedAt - limits.maxAgeDays * DAY_MS)
    return reject(
      "event_too_old",
      "event_time",
      `\`event_time\` is more than ${limits.maxAgeDays} days old.`,
    );
  if (t > limits.receivedAt + limits.maxFutureMinutes * MINUTE_MS)
    return reject(
      "event_in_future",
      "event_time",
      `\`event_time\` is more than ${limits.maxFutureMinutes} minutes in the future.`,
    );
  return ok(t);
}

/** `event_id`, `custom_data.order_id`: a string id (a number is taken as its decimal text). */
export function idField(v: unknown, field: string): StepResult<string | null> {
  if (absent(v) || v === "") return ok(null);
  if (typeof v === "number" && Number.isFinite(v)) return ok(String(v));
  if (typeof v !== "string") return reject("invalid_field", field, `\`${field}\` must be a string.`);
  if (v.length > MAX_ID)
    return reject("invalid_field", field, `\`${field}\` is longer than ${MAX_ID} characters.`);
  // Ids travel on as HTTP header values (a webhook's Idempotency-Key) and dedup keys: a CR, LF
  // or any other control character would break every send of the event.
  if (CONTROL_CHARACTER.test(v))
    return reject(
      "invalid_field",
      field,
      `\`${field}\` must not contain control characters (such as line breaks or tabs).`,
    );
  return ok(v);
}

/** `action_source`: one of ACTION_SOURCES. */
export function actionSourceField(v: unknown): StepResult<string | null> {
  if (absent(v)) return ok(null);
  if (typeof v !== "string" || !(ACTION_SOURCES as readonly string[]).includes(v))
    return reject(
      "invalid_field",
      "action_source",
      `\`action_source\` must be one of ${ACTION_SOURCES.join(", ")}.`,
    );
  return ok(v);
}

/** `event_source_url`: a string of at most 2048 characters (its form is not checked). */
export function eventSourceUrlField(v: unknown): StepResult<string | null> {
  if (absent(v)) return ok(null);
  if (typeof v !== "string" || v.length > MAX_STRING)
    return reject("invalid_field", "event_source_url", "`event_source_url` must be a URL string.");
  return ok(v);
}

/** `user_data`: the identifiers Tally reads, each a string (ids may be numbers); others are ignored. */
export function userDataField(v: unknown): StepResult<UserInput> {
  const user: UserInput = {};
  if (absent(v)) return ok(user);
  if (!isObject(v)) return reject("invalid_field", "user_data", "`user_data` must be an object.");
  for (const key of USER_STRING_FIELDS) {
    const s = v[key];
    if (absent(s) || s === "") continue;
    if (typeof s === "number" && (key === "external_id" || key === "anonymous_id")) {
      user[key] = String(s);
      continue;
    }
    if (typeof s !== "string")
      return reject("invalid_field", `user_data.${key}`, `\`user_data.${key}\` must be a string.`);
    if (s.length > MAX_STRING)
      return reject("invalid_field", `user_data.${key}`, `\`user_data.${key}\` is too long.`);
    user[key] = s;
  }
  if (v.webdriver === true) user.webdriver = true;
  return ok(user);
}

/** `custom_data.value`: a number (or its decimal text) of magnitude at most 10¹². */
export function valueField(v: unknown): StepResult<number | null> {
  if (absent(v)) return ok(null);
  const n = typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v;
  if (typeof n !== "number" || !Number.isFinite(n) || Math.abs(n) > 1e12)
    return reject("invalid_field", "custom_data.value", "`custom_data.value` must be a number.");
  return ok(n);
}

/** `custom_data.currency`: a 3-letter code, upper-cased. */
export function currencyField(v: unknown): StepResult<string | null> {
  if (absent(v)) return ok(null);
  if (typeof v !== "string" || !/^[A-Za-z]{3}$/.test(v))
    return reject(
      "invalid_field",
      "custom_data.currency",
      "`custom_data.currency` must be a 3-letter ISO-4217 code.",
    );
  return ok(v.toUpperCase());
}

export interface CustomDataInput {
  value: number | null;
  currency: string | null;
  orderId: string | null;
  /** Everything else of `custom_data`, as sent. */
  customData: Record<string, unknown>;
}

/** `custom_data`: value, currency and order id checked and taken out; the rest kept as sent. */
export function customDataField(v: unknown): StepResult<CustomDataInput> {
  if (absent(v)) return ok({ value: null, currency: null, orderId: null, customData: {} });
  if (!isObject(v)) return reject("invalid_field", "custom_data", "`custom_data` must be an object.");
  const value = valueField(v.value);
  if (!value.ok) return value;
  const currency = currencyField(v.currency);
  if (!currency.ok) return currency;
  const orderId = idField(v.order_id, "custom_data.order_id");
  if (!orderId.ok) return orderId;
  const experiment = experimentFields(v.experiment, v.variant);
  if (!experiment.ok) return experiment;
  const customData: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v))
    if (k !== "value" && k !== "currency" && k !== "order_id") customData[k] = x;
  return ok({ value: value.value, currency: currency.value, orderId: orderId.value, customData });
}

/**
 * `custom_data.experiment` and `custom_data.variant` (docs/experiments.md): when an event names
 * an experiment, both names must be 1–64 characters without control characters. A `variant`
 * without an experiment is the site's own field (a product variant) and is not checked.
 */
export function experimentFields(experiment: unknown, variant: unknown): StepResult<null> {
  if (absent(experiment)) return ok(null);
  const e = nameProblem(experiment);
  if (e !== null)
    return reject("invalid_field", "custom_data.experiment", `\`custom_data.experiment\` ${e}.`);
  const v = nameProblem(variant);
  if (v !== null) return reject("invalid_field", "custom_data.variant", `\`custom_data.variant\` ${v}.`);
  return ok(null);
}

/** `consent`: each of its signals "granted" or "denied"; others are ignored. */
export function consentField(v: unknown): StepResult<Consent | null> {
  if (absent(v)) return ok(null);
  if (!isObject(v)) return reject("invalid_field", "consent", "`consent` must be an object.");
  const consent: Consent = {};
  for (const k of CONSENT_KEYS) {
    const s = v[k];
    if (absent(s)) continue;
    if (s !== "granted" && s !== "denied")
      return reject("invalid_field", `consent.${k}`, `\`consent.${k}\` must be "granted" or "denied".`);
    consent[k] = s;
  }
  return ok(consent);
}

/** What the required-field rule of an action reads of a checked event. */
export interface RequiredInput {
  eventId: string | null;
  orderId: string | null;
  value: number | null;
  currency: string | null;
  user: UserInput;
}

/** Each requirement an action may name: where it is in the event, and whether it is there. */
const REQUIREMENTS: Record<string, { field: string; present(e: RequiredInput): boolean }> = {
  value: { field: "custom_data.value", present: (e) => e.value !== null },
  currency: { field: "custom_data.currency", present: (e) => e.currency !== null },
  order_id: { field: "custom_data.order_id", present: (e) => e.orderId !== null },
  event_id: { field: "event_id", present: (e) => e.eventId !== null },
  email: { field: "user_data.email", present: (e) => e.user.email !== undefined || e.user.em !== undefined },
  phone: { field: "user_data.phone", present: (e) => e.user.phone !== undefined || e.user.ph !== undefined },
  external_id: { field: "user_data.external_id", present: (e) => e.user.external_id !== undefined },
};

/** The first field the action `name` requires that the event lacks, as a rejection; null when none is. */
export function missingRequired(
  name: string,
  action: ConversionAction | null,
  e: RequiredInput,
): Rejection | null {
  if (!action) return null;
  for (const req of action.required) {
    // A requirement Tally does not know is not enforced (it cannot be met or missed).
    const r = Object.hasOwn(REQUIREMENTS, req) ? REQUIREMENTS[req]! : null;
    if (r && !r.present(e))
      return reject("missing_field", r.field, `\`${r.field}\` is required for ${name}.`);
  }
  return null;
}
