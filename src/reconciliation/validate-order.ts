/**
 * One row of `POST /v1/crm/orders` (or of a CRM CSV) and one of `POST /v1/adjustments`, checked
 * and cleaned, or rejected naming the field: a result per row, so a bad row never sinks the
 * good ones. Pure.
 */
import { parseTime } from "../domain/time.js";
import { nulPath } from "../pipeline/steps/nul.js";
import { ok, reject, type StepResult } from "../pipeline/result.js";
import { isCurrency } from "../spend/validate-spend.js";
import {
  ORDER_STATUSES,
  type AdjustmentRequest,
  type CrmOrderRecord,
  type OrderStatus,
} from "../storage/reconciliation-store.js";

const MAX_VALUE = 1e12;
const MAX_ID = 256;
/** A conversion id as Tally makes them. */
const CONVERSION_ID = /^evt_[0-9a-z]{26}$/;
/** Orders may be years old (a CRM's history), never from before this. */
const EARLIEST = Date.UTC(2000, 0, 1);
/** Clocks differ: an order a few minutes ahead is accepted, later ones are not. */
const FUTURE_MS = 10 * 60_000;

export interface OrderContext {
  workspaceId: string;
  /** The workspace currency, for rows without one. */
  currency: string;
  now: number;
}

function object(raw: unknown, what: string): StepResult<Record<string, unknown>> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return reject("invalid_event", undefined, `Each ${what} must be a JSON object.`);
  const o = raw as Record<string, unknown>;
  const nul = nulPath(o);
  if (nul !== null) return reject("invalid_field", nul, `\`${nul}\` contains a NUL character (U+0000).`);
  return ok(o);
}

function idField(o: Record<string, unknown>, k: string, required: boolean): StepResult<string | null> {
  const v = o[k];
  if (v === undefined || v === null || v === "") return required ? reject("missing_field", k) : ok(null);
  if (typeof v === "number" && Number.isSafeInteger(v)) return ok(String(v));
  if (typeof v !== "string") return reject("invalid_field", k, `\`${k}\` must be a string.`);
  const s = v.trim();
  if (s === "") return required ? reject("missing_field", k) : ok(null);
  if (s.length > MAX_ID) return reject("invalid_field", k, `\`${k}\` is longer than ${MAX_ID} characters.`);
  return ok(s);
}

function timeField(
  o: Record<string, unknown>,
  k: string,
  now: number,
  required: boolean,
): StepResult<number | null> {
  const v = o[k];
  if (v === undefined || v === null || v === "") return required ? reject("missing_field", k) : ok(null);
  const t = parseTime(v);
  if (t === null) return reject("invalid_field", k, `\`${k}\` must be ISO-8601 with a zone or unix seconds.`);
  if (t < EARLIEST) return reject("invalid_field", k, `\`${k}\` is before 2000.`);
  if (t > now + FUTURE_MS) return reject("invalid_field", k, `\`${k}\` is in the future.`);
  return ok(t);
}

function valueField(o: Record<string, unknown>, k: string, required: boolean): StepResult<number | null> {
  const v = o[k];
  if (v === undefined || v === null || v === "") return required ? reject("missing_field", k) : ok(null);
  if (typeof v !== "number" || !Number.isFinite(v))
    return reject("invalid_field", k, `\`${k}\` must be a number (major units, e.g. 120.5).`);
  if (v < 0) return reject("invalid_field", k, `\`${k}\` must not be negative.`);
  if (v > MAX_VALUE) return reject("invalid_field", k, `\`${k}\` is larger than any order.`);
  return ok(v);
}

function currencyField(o: Record<string, unknown>, fallback: string | null): StepResult<string | null> {
  const v = o.currency;
  if (v === undefined || v === null || v === "") return ok(fallback);
  if (!isCurrency(v))
    return reject(
      "invalid_field",
      "currency",
      "`currency` is not an ISO 4217 currency code (e.g. USD, EUR).",
    );
  return ok(v.toUpperCase());
}

const EVENT_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;

/**
 * @example
 * validateOrder({ order_id: "A-1", time: "2026-03-01T10:00:00Z", value: 70, status: "refunded" }, ctx);
 * // { ok: true, value: { orderId: "A-1", eventName: "Purchase", value: 70, currency: "USD", status: "refunded", … } }
 * validateOrder({ order_id: "A-1", time: 1772358000, value: "70", status: "completed" }, ctx);
 * // { ok: false, code: "invalid_field", field: "value", … }
 */
export function validateOrder(raw: unknown, ctx: OrderContext): StepResult<CrmOrderRecord> {
  const obj = object(raw, "order");
  if (!obj.ok) return obj;
  const o = obj.value;
  const orderId = idField(o, "order_id", true);
  if (!orderId.ok) return orderId;
  const time = timeField(o, "time", ctx.now, true);
  if (!time.ok) return time;
  const value = valueField(o, "value", true);
  if (!value.ok) return value;
  const currency = currencyField(o, ctx.currency);
  if (!currency.ok) return currency;
  if (o.status === undefined || o.status === null || o.status === "")
    return reject("missing_field", "status");
  const status = typeof o.status === "string" ? o.status.trim().toLowerCase() : null;
  if (status === null || !(ORDER_STATUSES as readonly string[]).includes(status))
    return reject("invalid_field", "status", `\`status\` must be one of ${ORDER_STATUSES.join(", ")}.`);
  let eventName = "Purchase";
  if (o.event_name !== undefined && o.event_name !== null && o.event_name !== "") {
    if (typeof o.event_name !== "string" || !EVENT_NAME.test(o.event_name))
      return reject("invalid_field", "event_name", "`event_name` must be a conversion action's name.");
    eventName = o.event_name;
  }
  return ok({
    workspaceId: ctx.workspaceId,
    orderId: orderId.value!,
    eventName,
    time: time.value!,
    value: value.value!,
    currency: currency.value!,
    status: status as OrderStatus,
  });
}

/**
 * @example
 * validateAdjustment({ order_id: "A-1", type: "restate", value: 70 }, ctx);
 * // { ok: true, value: { orderId: "A-1", conversionId: null, type: "restate", value: 70, currency: null, … } }
 */
export function validateAdjustment(
  raw: unknown,
  ctx: Omit<OrderContext, "currency">,
): StepResult<AdjustmentRequest> {
  const obj = object(raw, "adjustment");
  if (!obj.ok) return obj;
  const o = obj.value;
  const orderId = idField(o, "order_id", false);
  if (!orderId.ok) return orderId;
  const conversionId = idField(o, "conversion_id", false);
  if (!conversionId.ok) return conversionId;
  if (orderId.value === null && conversionId.value === null)
    return reject(
      "missing_field",
      "order_id",
      "An adjustment names its conversion by `order_id` or `conversion_id`.",
    );
  if (orderId.value !== null && conversionId.value !== null)
    return reject("invalid_field", "conversion_id", "Give `order_id` or `conversion_id`, not both.");
  if (conversionId.value !== null && !CONVERSION_ID.test(conversionId.value))
    return reject(
      "invalid_field",
      "conversion_id",
      "`conversion_id` is not a Tally conversion id (`evt_…`).",
    );
  if (o.type === undefined || o.type === null || o.type === "") return reject("missing_field", "type");
  if (o.type !== "retract" && o.type !== "restate")
    return reject("invalid_field", "type", "`type` must be retract or restate.");
  const value = valueField(o, "value", o.type === "restate");
  if (!value.ok) return value;
  if (o.type === "retract" && value.value !== null)
    return reject("invalid_field", "value", "A retraction takes no `value`: the conversion then counts 0.");
  const currency = currencyField(o, null);
  if (!currency.ok) return currency;
  const time = timeField(o, "time", ctx.now, false);
  if (!time.ok) return time;
  return ok({
    workspaceId: ctx.workspaceId,
    conversionId: conversionId.value,
    orderId: orderId.value,
    eventName: null,
    type: o.type,
    value: value.value,
    currency: currency.value,
    at: time.value ?? ctx.now,
    source: "api",
  });
}
