/**
 * validate: the shape and the rules of one event, before anything is derived from it.
 * Returns the fields the rest of the pipeline reads, typed, or a rejection naming the field.
 * Server-owned fields a client sends (`id`, `received_at`, `status`, …) are simply not read.
 *
 * The field validators are in validate-fields.ts; this file is their order, which decides the
 * field an event with several faults is refused for (the contract's examples name it).
 */
import type { Consent } from "../../domain/event.js";
import type { ConversionAction } from "../../domain/workspace.js";
import { ok, reject, type StepResult } from "../result.js";
import { nulPath } from "./nul.js";
import {
  actionSourceField,
  consentField,
  customDataField,
  eventNameField,
  eventSourceUrlField,
  eventTimeField,
  idField,
  isObject,
  missingRequired,
  userDataField,
  type TimeLimits,
  type UserInput,
} from "./validate-fields.js";

export { ACTION_SOURCES, type UserInput } from "./validate-fields.js";

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

export interface ValidateContext extends TimeLimits {
  actions: ReadonlyMap<string, ConversionAction>;
}

export function validateEvent(raw: unknown, ctx: ValidateContext): StepResult<ValidEvent> {
  if (!isObject(raw)) return reject("invalid_event", undefined, "Each event must be a JSON object.");
  // NUL first, wherever it is: no other check is worth running on a value no store can hold.
  const nul = nulPath(raw);
  if (nul !== null) return reject("invalid_field", nul, `\`${nul}\` contains a NUL character (U+0000).`);

  // The name first: it decides which fields are required.
  const name = eventNameField(raw.event_name, ctx.actions);
  if (!name.ok) return name;
  const eventTime = eventTimeField(raw.event_time, ctx);
  if (!eventTime.ok) return eventTime;
  const eventId = idField(raw.event_id, "event_id");
  if (!eventId.ok) return eventId;
  const actionSource = actionSourceField(raw.action_source);
  if (!actionSource.ok) return actionSource;
  const eventSourceUrl = eventSourceUrlField(raw.event_source_url);
  if (!eventSourceUrl.ok) return eventSourceUrl;
  const user = userDataField(raw.user_data);
  if (!user.ok) return user;
  const custom = customDataField(raw.custom_data);
  if (!custom.ok) return custom;
  const consent = consentField(raw.consent);
  if (!consent.ok) return consent;

  const event: ValidEvent = {
    eventName: name.value.name,
    action: name.value.action,
    eventTime: eventTime.value,
    eventId: eventId.value,
    orderId: custom.value.orderId,
    actionSource: actionSource.value,
    eventSourceUrl: eventSourceUrl.value,
    value: custom.value.value,
    currency: custom.value.currency,
    user: user.value,
    customData: custom.value.customData,
    consent: consent.value,
  };
  // Last: a required field is missing only once every field present is well-formed.
  return missingRequired(event.eventName, event.action, event) ?? ok(event);
}
