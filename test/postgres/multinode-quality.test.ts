/**
 * Traffic quality across two real Tally processes on one PostgreSQL database: a flood of one
 * address's clicks, and a burst of one address's conversions, split between the nodes, are
 * counted as one node would count them (the counters' rows are locked in the commit
 * transaction). Needs the built server (`node scripts/build.mjs`).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { client, createWorkspace, nowSeconds, startTally, type TallyProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "./pg-test-db.js";

const pgUp = await postgresAvailable("the multi-node traffic-quality tests");
const ENCRYPTION_KEY = "0f".repeat(32);
const BROWSER =
  "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

describe.skipIf(!pgUp)("traffic quality on two nodes of one PostgreSQL", () => {
  let schema: TestSchema;
  let a: TallyProcess;
  let b: TallyProcess;

  beforeAll(async () => {
    schema = await createTestSchema({ pool_max: "6" });
    const env = { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: ENCRYPTION_KEY };
    [a, b] = await Promise.all([startTally({ env }), startTally({ env })]);
  });
  afterAll(async () => {
    for (const n of [a, b]) {
      if (!n) continue;
      await n.stop();
      n.cleanup();
    }
    await schema?.drop();
  });

  it("flags a click flood split across both nodes exactly as one node would", async () => {
    const ws = await createWorkspace(a.url, a.adminToken, "Flood");
    await ws.api("PATCH", "/v1/workspace", { quality: { max_clicks_per_ip_per_minute: 10 } });
    const link = await ws.api("POST", "/v1/links", {
      destination_url: "https://shop.example/",
      platform: "google",
      campaign: "flood",
    });
    const path = new URL(link.body.url as string).pathname;
    // 40 clicks from one address (loopback), half to each node, all at once.
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        fetch(`${i % 2 ? a.url : b.url}${path}`, { redirect: "manual", headers: { "user-agent": BROWSER } }),
      ),
    );
    let row: { clicks: number; flagged_clicks: number } | undefined;
    for (let i = 0; i < 200 && row?.clicks !== 40; i++) {
      row = (await client(b.url, ws.secret_key)("GET", "/v1/reports/quality?group_by=campaign")).body.rows[0];
      if (row?.clicks !== 40) await new Promise((r) => setTimeout(r, 50));
    }
    expect(row).toMatchObject({ clicks: 40, flagged_clicks: 30 });
  });

  it("flags a conversion burst of one address split across both nodes exactly as one node would", async () => {
    const ws = await createWorkspace(a.url, a.adminToken, "Burst");
    const send = (node: TallyProcess, i: number) =>
      client(node.url, ws.secret_key)("POST", "/v1/events", {
        data: [
          {
            event_name: "Lead",
            event_time: nowSeconds() - 60,
            event_id: `lead-${i}`,
            action_source: "website",
            user_data: {
              external_id: `person-${i}`,
              client_ip_address: "203.0.113.50",
              client_user_agent: BROWSER,
            },
          },
        ],
      });
    const res = await Promise.all(Array.from({ length: 16 }, (_, i) => send(i % 2 ? a : b, i)));
    const flagged = res.filter((r) => r.body.results[0].quality.flags.includes("conversion_burst"));
    expect(flagged).toHaveLength(11); // default limit 5 an hour: all beyond the 5th
  });
});
