/**
 * Browser collection (API.md): POST /t/collect with its preflight, text/plain beacons, allowed
 * origins and CORS header; GET /t/p.gif. Every status code, and what is stored.
 */
import Database from "better-sqlite3";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";
import { RawConnection } from "./raw-http.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

let tally: Tally;
let ws: Ws;
let anon: ReturnType<typeof client>;

beforeAll(async () => {
  tally = await startInProcess();
  ws = await createWorkspace(tally.url, ADMIN_TOKEN, "Beacon shop");
  anon = client(tally.url);
});
afterAll(async () => {
  await tally?.cleanup();
});

const lead = (extra: Record<string, unknown> = {}) => ({
  event_name: "Lead",
  event_time: nowSeconds(),
  ...extra,
});

describe("browser collection", () => {
  const origin = "https://shop.example";

  it("OPTIONS /t/collect answers the preflight for a page's origin", async () => {
    const res = await anon("OPTIONS", "/t/collect", undefined, {
      origin,
      "access-control-request-method": "POST",
      "access-control-request-headers": "content-type",
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("content-type");
  });

  it("POST /t/collect: 204 for a text/plain beacon (key in the body) with the CORS header; the event is stored", async () => {
    const body = JSON.stringify({
      k: ws.public_key,
      events: [{ event_name: "Lead", event_id: "beacon-1", user_data: { anonymous_id: "anon-beacon" } }],
    });
    const res = await anon("POST", "/t/collect", body, {
      "content-type": "text/plain;charset=UTF-8",
      origin,
    });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    expect(res.headers.get("access-control-allow-origin")).toBe(origin);
    // The same event again through the server API is its duplicate: the beacon was stored.
    const again = await ws.api("POST", "/v1/events", { data: [lead({ event_id: "beacon-1" })] });
    expect(again.body.results[0].status).toBe("duplicate");
  });

  it("POST /t/collect: 204 for application/json with the key in the query", async () => {
    const res = await anon("POST", `/t/collect?k=${ws.public_key}`, { events: [{ event_name: "PageView" }] });
    expect(res.status).toBe(204);
  });

  it("POST /t/collect: 401, 403 (secret key, origin not allowed), 400, 415, 422", async () => {
    const events = [{ event_name: "PageView" }];
    expectError(await anon("POST", "/t/collect", { events }), 401, "missing_key");
    expectError(await anon("POST", "/t/collect?k=pk_unknown", { events }), 401, "unknown_key");
    expectError(await anon("POST", `/t/collect?k=${ws.secret_key}`, { events }), 403, "key_not_allowed");
    expectError(
      await anon("POST", `/t/collect?k=${ws.public_key}`, "{nope", { "content-type": "text/plain" }),
      400,
      "invalid_json",
    );
    expectError(
      await anon("POST", `/t/collect?k=${ws.public_key}`, JSON.stringify({ events }), {
        "content-type": "application/x-www-form-urlencoded",
      }),
      415,
      "unsupported_media_type",
    );
    expectError(await anon("POST", `/t/collect?k=${ws.public_key}`, { events: [] }), 422, "empty_batch");
  });

  it("only the configured origins may use /t/collect; none configured = any", async () => {
    const shop = await createWorkspace(tally.url, ADMIN_TOKEN, "Origins");
    const send = (o: string) =>
      anon(
        "POST",
        `/t/collect?k=${shop.public_key}`,
        JSON.stringify({ events: [{ event_name: "PageView" }] }),
        { "content-type": "text/plain", origin: o },
      );
    expect((await send("https://anything.example")).status).toBe(204);
    await shop.api("PATCH", "/v1/workspace", { allowed_origins: [origin] });
    const ok = await send(origin);
    expect(ok.status).toBe(204);
    expect(ok.headers.get("access-control-allow-origin")).toBe(origin);
    expectError(await send("https://evil.example"), 403, "origin_not_allowed");
  });

  it("client_ip_address and client_user_agent come from the request, never from the body", async () => {
    const body = JSON.stringify({
      k: ws.public_key,
      events: [
        {
          event_name: "Lead",
          event_id: "spoof-1",
          user_data: {
            client_ip_address: "192.0.2.1",
            client_user_agent: "Spoofed/1.0",
            anonymous_id: "spoofer",
          },
        },
      ],
    });
    // A raw request, so there is no User-Agent header at all (fetch would add one).
    const conn = await RawConnection.open(Number(new URL(tally.url).port));
    await conn.write(
      `POST /t/collect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect((await conn.nextResponse())?.status).toBe(204);
    conn.close();
    const db = new Database(join(tally.dataDir, "tally.db"), { readonly: true, fileMustExist: true });
    try {
      const row = db.prepare("SELECT payload FROM events WHERE event_id = ?").get("spoof-1") as {
        payload: string;
      };
      const user = (JSON.parse(row.payload) as { u: Record<string, string> }).u;
      expect(user.client_ip_truncated).toBe("127.0.0.0");
      expect(user.client_user_agent).toBeUndefined();
    } finally {
      db.close();
    }
  });

  it("GET /t/p.gif answers a 1x1 GIF with Cache-Control: no-store and records the event", async () => {
    const res = await fetch(
      `${tally.url}/t/p.gif?k=${ws.public_key}&en=Purchase&eid=pixel-1&v=99.99&cur=USD&aid=pixel-visitor`,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("cache-control")).toContain("no-store");
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes.subarray(0, 6).toString("latin1")).toMatch(/^GIF8[79]a$/);
    expect(bytes.readUInt16LE(6)).toBe(1); // width
    expect(bytes.readUInt16LE(8)).toBe(1); // height
    const conv = await ws.api("GET", "/v1/conversions");
    const purchase = conv.body.data.find((c: { event_name: string }) => c.event_name === "Purchase");
    expect(purchase).toMatchObject({ value: 99.99, currency: "USD" });
    const dup = await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Purchase",
          event_time: nowSeconds(),
          event_id: "pixel-1",
          custom_data: { value: 1, currency: "USD" },
        },
      ],
    });
    expect(dup.body.results[0]).toEqual({ index: 0, status: "duplicate", id: purchase.id });
  });

  it("GET /t/p.gif still answers the GIF for a rejected event, naming the rejection in X-Tally-Rejected", async () => {
    const res = await fetch(`${tally.url}/t/p.gif?k=${ws.public_key}&en=NoSuchEvent`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/gif");
    expect(res.headers.get("x-tally-rejected")).toBe("unknown_event_name");
  });

  it("GET /t/p.gif: 401 without or with an unknown key, 403 with a secret key", async () => {
    expectError(await anon("GET", "/t/p.gif?en=PageView"), 401, "missing_key");
    expectError(await anon("GET", "/t/p.gif?k=pk_nope&en=PageView"), 401, "unknown_key");
    expectError(await anon("GET", `/t/p.gif?k=${ws.secret_key}&en=PageView`), 403, "key_not_allowed");
  });
});
