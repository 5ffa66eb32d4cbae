/**
 * validate: the shape and the rules of one event, before anything is derived from it.
 * Returns the fields the rest of the pipeline reads, typed, or a rejection naming the field.
 * Server-owned fields a client sends (`id`, `received_at`, `status`, …) are simply not read.
 */
import { CLICK_ID_KINDS, type Consent } from "../../domain/event.js";
import { parseTime, DAY_MS, MINUTE_MS } from "../../domain/time.js";
import { NON_CONVERSION_EVENTS, type ConversionAction } from "../../domain/workspace.js";
import { ok, reject, type StepResult } from "../result.js";
import { nulPath } from "./nul.js";

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

export type UserInput = Partial<Record<(typeof USER_STRING_FIELDS)[number], string>>;

export interface ValidEvent {
  eventName: string;
  action: ConversionAction | null; // null: a non-conversion event
  eventTime: number;
  eventId: string | null;
  orderId: string | null;
  actionSource: string | null;
  eventSourceUrl: string | null;
  value: number | null;
  currency: string | null;
  user: UserInput;
  customData: Record<string, unknown>;
  consent: Consent | null;
}

export interface ValidateContext {
  actions: ReadonlyMap<string, ConversionAction>;
  receivedAt: number;
  maxAgeDays: number;
  maxFutureMinutes: number;
  /** Browser collection may omit event_time: the server's clock stands in. */
  eventTimeOptional: boolean;
}

/** API.md: `event_id` and `order_id` are 1–128 characters. */
const MAX_ID = 128;
/** Unicode category Cc: U+0000–U+001F and U+007F–U+009F. */
const CONTROL_CHARACTER = /\p{Cc}/u;
const MAX_STRING = 2048;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A string id (numbers are taken as their decimal text), or a rejection. */
function idField(v: unknown, field: string): StepResult<string | null> {
  if (v === undefined || v === null || v === "") return ok(null);
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

export function validateEvent(raw: unknown, ctx: ValidateContext): StepResult<ValidEvent> {
  if (!isObject(raw)) return reject("invalid_event", undefined, "Each event must be a JSON object.");
  const nul = nulPath(raw);
  if (nul !== null) return reject("invalid_field", nul, `\`${nul}\` contains a NUL character (U+0000).`);

  const name = raw.event_name;
  if (name === undefined || name === null || name === "") return reject("missing_field", "event_name");
  if (typeof name !== "string")
    return reject("invalid_field", "event_name", "`event_name` must be a string.");
  const action = ctx.actions.get(name) ?? null;
  if (!action && !(NON_CONVERSION_EVENTS as readonly string[]).includes(name)) {
    const known = [...ctx.actions.keys(), ...NON_CONVERSION_EVENTS].join(", ");
    return reject(
      "unknown_event_name",
      "event_name",
      `Unknown event name "${name.slice(0, 64)}". Defined names: ${known}.`,
    );
  }

  let eventTime: number;
  if (raw.event_time === undefined || raw.event_time === null) {
    if (!ctx.eventTimeOptional) return reject("missing_field", "event_time");
    eventTime = ctx.receivedAt;
  } else {
    const t = parseTime(raw.event_time);
    if (t === null)
      return reject(
        "invalid_field",
        "event_time",
        "`event_time` must be unix seconds or ISO-8601 with a zone.",
      );
    if (t < ctx.receivedAt - ctx.maxAgeDays * DAY_MS)
      return reject("event_too_old", "event_time", `\`event_time\` is more than ${ctx.maxAgeDays} days old.`);
    if (t > ctx.receivedAt + ctx.maxFutureMinutes * MINUTE_MS)
      return reject(
        "event_in_future",
        "event_time",
        `\`event_time\` is more than ${ctx.maxFutureMinutes} minutes in the future.`,
      );
    eventTime = t;
  }

  const eventId = idField(raw.event_id, "event_id");
  if (!eventId.ok) return eventId;

  let actionSource: string | null = null;
  if (raw.action_source !== undefined && raw.action_source !== null) {
    if (
      typeof raw.action_source !== "string" ||
      !(ACTION_SOURCES as readonly string[]).includes(raw.action_source)
    )
      return reject(
        "invalid_field",
        "action_source",
        `\`action_source\` must be one of ${ACTION_SOURCES.join(", ")}.`,
      );
    actionSource = raw.action_source;
  }

  let eventSourceUrl: string | null = null;
  if (raw.event_source_url !== undefined && raw.event_source_url !== null) {
    if (typeof raw.event_source_url !== "string" || raw.event_source_url.length > MAX_STRING)
      return reject("invalid_field", "event_source_url", "`event_source_url` must be a URL string.");
    eventSourceUrl = raw.event_source_url;
  }

  // user_data
  const user: UserInput = {};
  if (raw.user_data !== undefined && raw.user_data !== null) {
    if (!isObject(raw.user_data))
      return reject("invalid_field", "user_data", "`user_data` must be an object.");
    for (const key of USER_STRING_FIELDS) {
      const v = raw.user_data[key];
      if (v === undefined || v === null || v === "") continue;
      if (typeof v === "number" && (key === "external_id" || key === "anonymous_id")) {
        user[key] = String(v);
        continue;
      }
      if (typeof v !== "string")
        return reject("invalid_field", `user_data.${key}`, `\`user_data.${key}\` must be a string.`);
      if (v.length > MAX_STRING)
        return reject("invalid_field", `user_data.${key}`, `\`user_data.${key}\` is too long.`);
      user[key] = v;
    }
  }

  // custom_data
  const customData: Record<string, unknown> = {};
  let value: number | null = null;
  let currency: string | null = null;
  let orderId: string | null = null;
  if (raw.custom_data !== undefined && raw.custom_data !== null) {
    if (!isObject(raw.custom_data))
      return reject("invalid_field", "custom_data", "`custom_data` must be an object.");
    const cd = raw.custom_data;
    for (const [k, v] of Object.entries(cd)) customData[k] = v;
    if (cd.value !== undefined && cd.value !== null) {
      const n =
        typeof cd.value === "string" && /^-?\d+(\.\d+)?$/.test(cd.value) ? Number(cd.value) : cd.value;
      if (typeof n !== "number" || !Number.isFinite(n) || Math.abs(n) > 1e12)
        return reject("invalid_field", "custom_data.value", "`custom_data.value` must be a number.");
      value = n;
    }
    if (cd.currency !== undefined && cd.currency !== null) {
      if (typeof cd.currency !== "string" || !/^[A-Za-z]{3}$/.test(cd.currency))
        return reject(
          "invalid_field",
          "custom_data.currency",
          "`custom_data.currency` must be a 3-letter ISO-4217 code.",
        );
      currency = cd.currency.toUpperCase();
    }
    const oid = idField(cd.order_id, "custom_data.order_id");
    if (!oid.ok) return oid;
    orderId = oid.value;
    delete customData.value;
    delete customData.currency;
    delete customData.order_id;
  }

  // consent
  let consent: Consent | null = null;
  if (raw.consent !== undefined && raw.consent !== null) {
    if (!isObject(raw.consent)) return reject("invalid_field", "consent", "`consent` must be an object.");
    consent = {};
    for (const k of ["ad_user_data", "ad_personalization", "analytics"] as const) {
      const v = raw.consent[k];
      if (v === undefined || v === null) continue;
      if (v !== "granted" && v !== "denied")
        return reject("invalid_field", `consent.${k}`, `\`consent.${k}\` must be "granted" or "denied".`);
      consent[k] = v;
    }
  }

  // the action's required fields
  if (action) {
    for (const req of action.required) {
      const present =
        req === "value"
          ? value !== null
          : req === "currency"
            ? currency !== null
            : req === "order_id"
              ? orderId !== null
              : req === "event_id"
                ? eventId.value !== null
                : req === "email"
                  ? user.email !== undefined || user.em !== undefined
                  : req === "phone"
                    ? user.phone !== undefined || user.ph !== undefined
                    : req === "external_id"
                      ? user.external_id !== undefined
                      : true;
      if (!present) {
        const field = ["value", "currency", "order_id"].includes(req)
          ? `custom_data.${req}`
          : req === "event_id"
            ? "event_id"
            : `user_data.${req}`;
        return reject("missing_field", field, `\`${field}\` is required for ${name}.`);
      }
    }
  }

  return ok({
    eventName: name,
    action,
    eventTime,
    eventId: eventId.value,
    orderId,
    actionSource,
    eventSourceUrl,
    value,
    currency,
    user,
    customData,
    consent,
  });
}
