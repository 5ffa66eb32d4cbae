/**
 * The JSON an event row keeps beside its columns, the same in both backends: user data (the
 * sealed client IP has its own column, purged on its own), custom data, consent, action
 * source, page URL and the identifiers it was linked by.
 */
import type { Identifier, NormalizedEvent } from "../domain/event.js";

export function payloadOf(ev: NormalizedEvent, identifiers: Identifier[] = ev.identifiers): string {
  const { client_ip_enc: _ip, ...user } = ev.user;
  return JSON.stringify({
    u: user,
    c: ev.customData,
    k: ev.consent,
    a: ev.actionSource,
    s: ev.eventSourceUrl,
    i: identifiers,
  });
}
