/**
 * "Plain email, phone are never written to storage or logs. A client IP is never logged; it is
 * stored only encrypted … and otherwise truncated." A child process at debug log level takes
 * emails, phones and IPs through every way in (server API, browser collection, pixel, touch
 * imports, test events, rejected events, erasure, forwarding); then the data folder's files and
 * everything the process printed are searched for them.
 */
import Database from "better-sqlite3";
import { readdirSync, readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCipher } from "../../src/security/cipher.js";
import { client, createWorkspace, nowSeconds, startTally, type TallyProcess } from "../helpers/server.js";
import { BUILD_TIMEOUT_MS, ensureBuilt } from "./ensure-built.js";
import { RawConnection } from "./raw-http.js";

type Ws = Awaited<ReturnType<typeof createWorkspace>>;

const EMAILS = [
  "Jane.Doe@Example.com",
  "  ROBERT.ROE@MAIL.EXAMPLE ",
  "sam+promo@shop.example",
  "url.person@example.org",
  "nested.person@example.net",
  "browser.buyer@example.com",
  "import.click@example.com",
  "test.mode@example.com",
  "rejected.one@example.com",
  "erase.me@example.com",
];
/** The same US number in the shapes people type it, and two more numbers. */
const PHONES = [
  "+1 (415) 555-0100",
  "415.555.0100",
  "(415) 555 0100",
  "4155550100",
  "+14155550100",
  "+44 7700 900123",
  "07700 900123",
];
const PHONE_DIGITS = ["4155550100", "7700900123"];
const IPV4 = "198.51.100.77";
const IPV6 = "2001:db8:85a3::8a2e:370:7334";
const BROWSER_IPV4 = "203.0.113.45";
const BROWSER_IPV6 = "2001:db8:abcd:12::99";

/** A regex for the digits in order with any common phone punctuation between them. */
function phonePattern(digits: string): RegExp {
  return new RegExp(digits.split("").join("[\\s().+\\-/]{0,3}"));
}

/** Everything the needles could hide in: the data folder's store files and the process output. */
function haystacks(dataDir: string, output: string): { name: string; text: string }[] {
  const files = readdirSync(dataDir).filter((f) => f.startsWith("tally.db"));
  expect(files).toContain("tally.db");
  return [
    // latin1 keeps every byte as one character, so text inside binary pages stays searchable.
    ...files.map((f) => ({ name: f, text: readFileSync(join(dataDir, f)).toString("latin1") })),
    { name: "process output", text: output },
  ];
}

function expectAbsent(stacks: { name: string; text: string }[]): void {
  for (const { name, text } of stacks) {
    const lower = text.toLowerCase();
    for (const email of EMAILS)
      expect(lower.includes(email.trim().toLowerCase()), `${email} in ${name}`).toBe(false);
    for (const email of EMAILS)
      expect(
        lower.includes(encodeURIComponent(email.trim()).toLowerCase()),
        `encoded ${email} in ${name}`,
      ).toBe(false);
    for (const digits of PHONE_DIGITS)
      expect(phonePattern(digits).test(text), `phone ${digits} in ${name}`).toBe(false);
    for (const ip of [IPV4, IPV6, BROWSER_IPV4, BROWSER_IPV6, "8a2e:370:7334", "abcd:12::99"])
      expect(lower.includes(ip), `${ip} in ${name}`).toBe(false);
  }
}

/** A local stand-in for a webhook receiver. */
async function fakeReceiver(
  answer: (body: string, res: ServerResponse) => void,
): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      bodies.push(body);
      answer(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, server };
}

async function settle(ws: Ws, destinationId: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const res = await ws.api("GET", `/v1/destinations/${destinationId}/deliveries?status=pending`);
    if (res.status === 200 && res.body.data.length === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("deliveries did not settle");
}

describe("privacy of emails, phones and IPs", () => {
  let tally: TallyProcess;
  let ws: Ws;
  let receiver: Awaited<ReturnType<typeof fakeReceiver>>;
  let destinationId: string;
  let serverEventId: string;

  beforeAll(async () => {
    ensureBuilt();
    receiver = await fakeReceiver((_b, res) => res.writeHead(200).end("{}"));
    // Debug logging, and the client IP taken from X-Forwarded-For so the browser paths can carry test IPs.
    tally = await startTally({
      env: { TALLY_LOG_LEVEL: "debug", TALLY_TRUST_PROXY: "127.0.0.1", TALLY_OUTBOX_POLL_MS: "50" },
    });
    ws = await createWorkspace(tally.url, tally.adminToken, "Private shop");
    expect((await ws.api("PATCH", "/v1/workspace", { default_country: "US" })).status).toBe(200);
    const dest = await ws.api("POST", "/v1/destinations", {
      type: "webhook",
      name: "hook",
      config: { url: receiver.url, secret: "whsec_test_0123456789" },
    });
    expect(dest.status, JSON.stringify(dest.body)).toBe(201);
    destinationId = dest.body.id;

    const t = nowSeconds();
    const granted = { ad_user_data: "granted", ad_personalization: "granted", analytics: "granted" };
    // Server-to-server, every phone shape, both IP families, em/ph aliases, PII in custom_data and the URL.
    const server = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: t,
          event_id: "p-1",
          consent: granted,
          event_source_url: `https://shop.example/thanks?email=${encodeURIComponent(EMAILS[3]!)}&plain=${EMAILS[3]}&ok=1`,
          user_data: {
            email: EMAILS[0],
            phone: PHONES[0],
            client_ip_address: IPV4,
            client_user_agent: "Mozilla/5.0 test",
          },
          custom_data: {
            value: 10,
            currency: "USD",
            email: EMAILS[1],
            phone: PHONES[1],
            contents: [{ id: "sku-1", buyer: EMAILS[4] }],
            deep: { a: { b: { c: { d: { e: { f: { g: { h: { i: { who: EMAILS[4] } } } } } } } } } },
          },
        },
        {
          event_name: "Lead",
          event_time: t,
          consent: granted,
          user_data: { em: EMAILS[1], ph: PHONES[1], client_ip_address: IPV6 },
        },
        { event_name: "Lead", event_time: t, user_data: { email: EMAILS[2], phone: PHONES[2] } },
        { event_name: "Lead", event_time: t, user_data: { phone: PHONES[3] } },
        { event_name: "Lead", event_time: t, user_data: { phone: PHONES[4] } },
        { event_name: "Lead", event_time: t, user_data: { phone: PHONES[5] } },
        { event_name: "Lead", event_time: t, user_data: { phone: PHONES[6] } },
        // Rejected events: nothing of them may be kept.
        {
          event_name: "NotAnAction",
          event_time: t,
          user_data: { email: EMAILS[8], phone: PHONES[0], client_ip_address: IPV4 },
        },
        { event_name: "Lead", event_time: "soon", user_data: { email: EMAILS[8], client_ip_address: IPV6 } },
      ],
    });
    expect(server.body).toMatchObject({ accepted: 7, rejected: 2 });
    serverEventId = server.body.results[0].id;

    // Browser collection: beacon (IPv4) and JSON (IPv6), the image pixel.
    const anon = client(tally.url);
    const beacon = await anon(
      "POST",
      "/t/collect",
      JSON.stringify({
        k: ws.public_key,
        events: [
          {
            event_name: "Purchase",
            consent: granted,
            user_data: { email: EMAILS[5], phone: PHONES[0], anonymous_id: "anon-1" },
            custom_data: { value: 3, currency: "USD" },
          },
        ],
      }),
      { "content-type": "text/plain", "x-forwarded-for": BROWSER_IPV4 },
    );
    expect(beacon.status).toBe(204);
    const json = await anon(
      "POST",
      `/t/collect?k=${ws.public_key}`,
      {
        events: [
          { event_name: "PageView", user_data: { email: EMAILS[5], anonymous_id: "anon-2", gclid: "G-1" } },
        ],
      },
      { "x-forwarded-for": BROWSER_IPV6 },
    );
    expect(json.status).toBe(204);
    const pixel = await fetch(`${tally.url}/t/p.gif?k=${ws.public_key}&en=PageView&aid=anon-3`, {
      headers: { "x-forwarded-for": BROWSER_IPV4 },
    });
    expect(pixel.status).toBe(200);

    // Touch imports with email and phone; a test event; erasure.
    const clicks = await ws.api("POST", "/v1/clicks", {
      data: [{ time: t - 60, platform: "google", campaign: "c", email: EMAILS[6], phone: PHONES[5] }],
    });
    expect(clicks.body.accepted).toBe(1);
    const test = await ws.api("POST", "/v1/events", {
      test_event_code: "TEST1",
      data: [
        {
          event_name: "Lead",
          event_time: t,
          user_data: { email: EMAILS[7], phone: PHONES[6], client_ip_address: IPV4 },
        },
      ],
    });
    expect(test.body.accepted).toBe(1);
    // Erasure of someone else (PHONES[4] is the Purchase buyer's number: erasing it would rightly
    // scrub the very event whose sealed IP is checked below).
    expect((await ws.api("POST", "/v1/erasure", { email: EMAILS[9], phone: "+1 212 555 0199" })).status).toBe(
      200,
    );

    // A malformed HTTP request with an email in a header: whatever the server logs about it.
    const raw = await RawConnection.open(tally.port);
    await raw.write(`GET /healthz HTTP/1.1\r\nHost: x\r\nX-Email: ${EMAILS[0]}\r\nBad Header Line\r\n\r\n`);
    await raw.closed;

    await settle(ws, destinationId);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    await tally?.kill();
    tally?.cleanup();
    await new Promise<void>((resolve) => (receiver ? receiver.server.close(() => resolve()) : resolve()));
  });

  it("the forwarding really ran (the test would prove little otherwise)", () => {
    expect(receiver.bodies.length).toBeGreaterThan(0);
    // The webhook carries the IP for the platform, decrypted on the way out: it was kept sealed.
    expect(receiver.bodies.some((b) => b.includes(IPV4))).toBe(true);
  });

  it("while running: no plain email, phone or full IP in tally.db, -wal, -shm or the logs", () => {
    expectAbsent(haystacks(tally.dataDir, tally.output()));
  });

  it("the IP is stored encrypted (with the key outside the rows) and as /24 or /48", () => {
    const db = new Database(join(tally.dataDir, "tally.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT payload, ip_enc FROM events WHERE id = ?").get(serverEventId) as {
        payload: string;
        ip_enc: string;
      };
      expect(row.ip_enc).toMatch(/^v1\./);
      const key = readFileSync(join(tally.dataDir, "encryption.key"), "utf8").trim();
      expect(createCipher(key).decrypt(row.ip_enc)).toBe(IPV4);
      expect(JSON.parse(row.payload).u.client_ip_truncated).toBe("198.51.100.0");
      const all = (db.prepare("SELECT payload FROM events").all() as { payload: string }[]).map(
        (r) => JSON.parse(r.payload).u.client_ip_truncated as string | undefined,
      );
      expect(all).toEqual(expect.arrayContaining(["2001:db8:85a3::", "203.0.113.0", "2001:db8:abcd::"]));
    } finally {
      db.close();
    }
  });

  it("after a graceful stop (WAL checkpointed into the main file): still none", async () => {
    const output = tally.output();
    const code = await tally.stop();
    expect({ code, signal: tally.exitSignal() }, tally.output()).toEqual({ code: 0, signal: null });
    expectAbsent(haystacks(tally.dataDir, output + tally.output()));
  });
});

describe("a destination that echoes what it was sent", () => {
  let tally: TallyProcess;
  let receiver: Awaited<ReturnType<typeof fakeReceiver>>;
  afterAll(async () => {
    await tally?.kill();
    tally?.cleanup();
    await new Promise<void>((resolve) => (receiver ? receiver.server.close(() => resolve()) : resolve()));
  });

  // Known bug, reported (src/destinations/http-status.ts classifyStatus + outbox-worker.ts):
  // a refused delivery keeps an excerpt of the platform's answer in deliveries.last_error and
  // logs it at warn. A platform (or a customer's webhook) that quotes the request, as error
  // messages about a bad `client_ip_address` do, puts the plain IP into the store and the log.
  // Drop `.fails` once excerpts are scrubbed of the request's IP (and user agent).
  it("stores and logs no plain IP from the echo", { timeout: 60_000 }, async () => {
    receiver = await fakeReceiver((body, res) => {
      const ip = (JSON.parse(body) as { user_data: { client_ip_address?: string } | null }).user_data
        ?.client_ip_address;
      res
        .writeHead(400, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { message: `Invalid parameter client_ip_address: ${ip ?? "none"}` } }));
    });
    tally = await startTally({ env: { TALLY_LOG_LEVEL: "debug", TALLY_OUTBOX_POLL_MS: "50" } });
    const ws = await createWorkspace(tally.url, tally.adminToken, "Echo");
    const dest = await ws.api("POST", "/v1/destinations", {
      type: "webhook",
      name: "echo",
      config: { url: receiver.url, secret: "whsec_test_0123456789" },
    });
    expect(dest.status).toBe(201);
    const ev = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Lead",
          event_time: nowSeconds(),
          consent: { ad_user_data: "granted" },
          user_data: { client_ip_address: IPV4, email: EMAILS[0] },
        },
      ],
    });
    expect(ev.body.accepted).toBe(1);
    for (let i = 0; i < 200; i++) {
      const res = await ws.api("GET", `/v1/destinations/${dest.body.id}/deliveries?status=failed`);
      if (res.body.data.length > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(receiver.bodies.some((b) => b.includes(IPV4))).toBe(true);
    expect(await tally.stop()).toBe(0);
    expectAbsent(haystacks(tally.dataDir, tally.output()));
  });
});
