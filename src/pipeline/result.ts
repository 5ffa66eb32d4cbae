/** Expected outcomes of a pipeline step are values, not exceptions. */
import { EVENT_ERRORS, type EventErrorCode } from "../domain/errors.js";

export interface Rejection {
  ok: false;
  code: EventErrorCode;
  message: string;
  field?: string;
}
export type StepResult<T> = { ok: true; value: T } | Rejection;

export const ok = <T>(value: T): StepResult<T> => ({ ok: true, value });

export function reject(code: EventErrorCode, field?: string, message?: string): Rejection {
  return {
    ok: false,
    code,
    message: message ?? (field ? `${EVENT_ERRORS[code]} (${field})` : EVENT_ERRORS[code]),
    ...(field ? { field } : {}),
  };
}
