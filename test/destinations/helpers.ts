/** Small helpers shared by the destination tests: events, destinations, waiting on the outbox. */
import type { client } from "../helpers/server.js";
import { nowSeconds } from "../helpers/server.js";
import { until } from "../fakes/fake-server.js";

export type Api = ReturnType<typeof client>;

let seq = 0;

/** A Purchase with everything a platform can use, consented. */
export function purchase(over: Record<string, unknown> = {}): Record<string, unknown> {
  seq++;
  return {
    event_name: "Purchase",
    event_time: nowSeconds() - 5,
    event_id: `order-${Date.now()}-${seq}`,
    action_source: "website",
    event_source_url: "https://shop.example/thanks",
    user_data: {
      email: "  John.Smith@Gmail.com ",
      phone: "(650)555-1212",
      external_id: " Cust-12345 ",
      client_ip_address: "203.0.113.9",
      client_user_agent: "Mozilla/5.0 (test)",
      fbp: "fb.1.1700000000000.123",
      gclid: "Cj0KCQ-test-gclid",
      ttclid: "tt-click-1",
      li_fat_id: "li-fat-1",
    },
    custom_data: { value: 99.99, currency: "USD", order_id: `o-${seq}` },
    consent: { ad_user_data: "granted" },
    ...over,
  };
}

export async function createDestination(api: Api, body: Record<string, unknown>): Promise<string> {
  const res = await api("POST", "/v1/destinations", body);
  if (res.status !== 201)
    throw new Error(`destination create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { id: string }).id;
}

export async function sendEvents(
  api: Api,
  events: Record<string, unknown>[],
  testEventCode?: string,
): Promise<{ status: string; id: string }[]> {
  const res = await api("POST", "/v1/events", {
    data: events,
    ...(testEventCode ? { test_event_code: testEventCode } : {}),
  });
  if (res.status !== 200) throw new Error(`events failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { results: { status: string; id: string }[] }).results;
}

export interface DeliveryJson {
  id: string;
  event_id: string;
  status: string;
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

export async function deliveries(api: Api, destinationId: string, status?: string): Promise<DeliveryJson[]> {
  const res = await api(
    "GET",
    `/v1/destinations/${destinationId}/deliveries?limit=1000${status ? `&status=${status}` : ""}`,
  );
  if (res.status !== 200) throw new Error(`deliveries failed: ${res.status} ${JSON.stringify(res.body)}`);
  return (res.body as { data: DeliveryJson[] }).data;
}

/** Waits until no delivery of the destination is pending; returns them all. */
export async function settled(
  api: Api,
  destinationId: string,
  expected: number,
  timeoutMs = 20_000,
): Promise<DeliveryJson[]> {
  let last: DeliveryJson[] = [];
  await until(
    async () => {
      last = await deliveries(api, destinationId);
      return last.length >= expected && last.every((d) => d.status !== "pending");
    },
    `${expected} settled deliveries of ${destinationId}`,
    timeoutMs,
  );
  return last;
}
