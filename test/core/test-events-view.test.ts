/**
 * The test-events view (GET /v1/test-events, and the live feed's test_event messages) shows
 * what was received with email, phone and IP masked — wherever in the event they are — since
 * screens get shared. Test events and rejected events both go there.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let ws: Ws;
let view: string;

const PLAIN = [
  "jane.doe@example.com",
  "url.person@example.com",
  "note.person@example.com",
  "deep.person@example.com",
  "list.person@example.com",
  "rejected.person@example.com",
  "upper.key@example.com",
];
const PHONE_DIGITS = ["4155550100", "4155550123", "4155550155"];
const IPS = ["198.51.100.77", "2001:db8:85a3::8a2e:370:7334", "203.0.113.99"];

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Test view");
  let deep: Record<string, unknown> = { email: "deep.person@example.com", phone: "+1 415 555 0123" };
  for (let i = 0; i < 12; i++) deep = { level: deep };
  const test = await ws.api("POST", "/v1/events", {
    test_event_code: "TEST7",
    data: [
      {
        event_name: "Lead",
        event_time: nowSeconds(),
        event_source_url: "https://shop.example/thanks?email=url.person%40example.com&step=2",
        user_data: {
          email: "Jane.Doe@Example.com",
          phone: "+1 (415) 555-0100",
          client_ip_address: "198.51.100.77",
        },
        custom_data: {
          note: "reply to note.person@example.com please",
          deep,
          items: [{ buyer: "list.person@example.com" }],
          Email: "upper.key@example.com",
          Mobile: "415-555-0155",
        },
      },
      {
        event_name: "Lead",
        event_time: nowSeconds(),
        user_data: { client_ip_address: "2001:db8:85a3::8a2e:370:7334" },
      },
    ],
  });
  expect(test.body.accepted).toBe(2);
  const rejected = await ws.api("POST", "/v1/events", {
    data: [
      {
        event_name: "NoSuchEvent",
        event_time: nowSeconds(),
        user_data: { em: "rejected.person@example.com", client_ip_address: "203.0.113.99" },
      },
    ],
  });
  expect(rejected.body.rejected).toBe(1);
  // Published to the view after the response is on its way.
  for (let i = 0; i < 50; i++) {
    const res = await ws.api("GET", "/v1/test-events");
    expect(res.status).toBe(200);
    if (res.body.data.length >= 3) {
      view = JSON.stringify(res.body);
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
});
afterAll(async () => {
  await tally?.cleanup();
});

describe("the test-events view", () => {
  it("holds the test events and the rejected one", () => {
    expect(view).toBeDefined();
    expect(view).toContain("TEST7");
    expect(view).toContain("NoSuchEvent");
  });

  it.each(PLAIN)("never shows %s in full", (email) => {
    expect(view.toLowerCase()).not.toContain(email);
  });

  it("masks emails to their first letter and domain, so a tester can still tell them apart", () => {
    expect(view).toContain("J•••@Example.com");
    expect(view).toContain("n•••@example.com");
  });

  it.each(PHONE_DIGITS)("never shows the phone %s, only its last four digits", (digits) => {
    expect(view).not.toMatch(new RegExp(digits.split("").join("[\\s().+\\-/]{0,3}")));
  });

  it.each(IPS)("never shows the IP %s in full", (ip) => {
    expect(view).not.toContain(ip);
  });
});
