/** Events as normalize leaves them, for tests that hand them to the commit core or a store. */
import type { Identifier, NormalizedEvent } from "../../src/domain/event.js";
import { newId } from "../../src/domain/ids.js";
import { MINUTE_MS } from "../../src/domain/time.js";

/** What a test may set: any field, and `ids` as `[kind, value]` pairs for `identifiers`. */
export type EventOverrides = Partial<NormalizedEvent> & { ids?: [Identifier["kind"], string][] };

/**
 * A server-side Purchase of 10 USD in workspace `ws`, received at `now` and made a minute
 * before, with no user data; `o` sets any field (`ids` the identifiers).
 *
 * @example
 * normalizedEvent(ws.id, NOW, { eventId: "e1", ids: [["email", "e".repeat(64)]] });
 */
export function normalizedEvent(ws: string, now: number, o: EventOverrides = {}): NormalizedEvent {
  const { ids, ...rest } = o;
  return {
    id: newId("evt"),
    workspaceId: ws,
    eventName: "Purchase",
    isConversion: true,
    eventTime: now - MINUTE_MS,
    receivedAt: now,
    eventId: null,
    orderId: null,
    actionSource: "website",
    eventSourceUrl: null,
    value: 10,
    currency: "USD",
    user: {},
    identifiers: (ids ?? []).map(([kind, value]) => ({ kind, value })),
    customData: {},
    consent: null,
    testEventCode: null,
    touch: null,
    warnings: [],
    ...rest,
  };
}
