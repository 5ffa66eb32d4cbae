/**
 * Experiments over real HTTP, on SQLite and PostgreSQL: exposures from the tag and the
 * server, an identity's first variant, conversions from the server without the fields, from
 * another device linked later, and the report's numbers and errors.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN_TOKEN, client, createWorkspace, nowSeconds, startInProcess } from "../helpers/server.js";
import { createTestSchema, postgresAvailable, type TestSchema } from "../postgres/pg-test-db.js";

const pgUp = await postgresAvailable("the PostgreSQL half of the experiments tests");

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Ws = Awaited<ReturnType<typeof createWorkspace>>;

describe.each([
  ["sqlite", false],
  ["postgres", !pgUp],
] as const)("experiments on %s", (backend, skip) => {
  describe.skipIf(skip)("", () => {
    let schema: TestSchema | null = null;
    let tally: Tally;

    beforeAll(async () => {
      if (backend === "postgres") schema = await createTestSchema({ pool_max: "6" });
      tally = await startInProcess(
        schema ? { TALLY_DATABASE_URL: schema.url, TALLY_ENCRYPTION_KEY: "5e".repeat(32) } : {},
      );
    });
    afterAll(async () => {
      await tally?.cleanup();
      await schema?.drop();
    });

    const t0 = nowSeconds() - 3600;
    const exposure = (anon: string, experiment: string, variant: string, at: number) => ({
      event_name: "Exposure",
      event_time: at,
      user_data: { anonymous_id: anon },
      custom_data: { experiment, variant },
    });
    const purchase = (user: Record<string, string>, value: number, at: number, extra = {}) => ({
      event_name: "Purchase",
      event_time: at,
      user_data: user,
      custom_data: { value, currency: "USD", ...extra },
    });

    async function send(
      ws: Ws,
      events: unknown[],
    ): Promise<{ status: string; code?: string; field?: string }[]> {
      const res = await ws.api("POST", "/v1/events", { data: events });
      expect(res.status).toBe(200);
      return res.body.results as { status: string }[];
    }

    async function report(ws: Ws, query = ""): Promise<{ status: number; body: Record<string, unknown> }> {
      const res = await ws.api("GET", `/v1/reports/experiments/checkout${query}`);
      return { status: res.status, body: res.body as Record<string, unknown> };
    }

    it("counts each identity in its first variant, with conversions that carry no fields", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, `exp-${backend}-1`);
      await send(ws, [
        exposure("a1", "checkout", "A", t0),
        exposure("a2", "checkout", "A", t0 + 1),
        exposure("b1", "checkout", "B", t0 + 2),
        exposure("b2", "checkout", "B", t0 + 3),
        exposure("b3", "checkout", "B", t0 + 4),
        // a1 later sees B too: it stays in A.
        exposure("a1", "checkout", "B", t0 + 10),
      ]);
      await send(ws, [
        purchase({ anonymous_id: "a1" }, 10, t0 + 20),
        purchase({ anonymous_id: "b1" }, 30, t0 + 30),
        purchase({ anonymous_id: "b1" }, 5, t0 + 40),
        // Before b2's exposure: does not count.
        purchase({ anonymous_id: "b2" }, 99, t0 - 100),
        // Someone never exposed.
        purchase({ anonymous_id: "zz" }, 50, t0 + 50),
      ]);
      const r = await report(ws, "?control=A");
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({
        experiment: "checkout",
        event_name: "Purchase",
        control: "A",
        currency: "USD",
      });
      const [a, b] = r.body.variants as Record<string, unknown>[];
      expect(a).toMatchObject({
        variant: "A",
        visitors: 2,
        converters: 1,
        conversions: 1,
        value: 10,
        lift: null,
      });
      expect(b).toMatchObject({ variant: "B", visitors: 3, converters: 1, conversions: 2, value: 35 });
      expect(b!.conversion_rate).toBeCloseTo(1 / 3, 10);
      expect(b!.lift).toBeCloseTo(1 / 3 / 0.5 - 1, 10);
      expect(r.body.warnings).toContain("sample_too_small");

      const list = await ws.api("GET", "/v1/experiments");
      expect(list.status).toBe(200);
      expect(list.body.data).toEqual([
        expect.objectContaining({ experiment: "checkout", variants: ["A", "B"] }),
      ]);
    });

    it("counts a conversion from another device once the identities are linked, in the earlier variant", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, `exp-${backend}-2`);
      // Phone sees A first, laptop sees B later; the laptop buys, then logs in on both.
      await send(ws, [exposure("phone", "checkout", "A", t0), exposure("laptop", "checkout", "B", t0 + 60)]);
      await send(ws, [purchase({ anonymous_id: "laptop" }, 42, t0 + 120)]);
      let r = await report(ws, "?control=A");
      expect((r.body.variants as { converters: number }[]).map((v) => v.converters)).toEqual([0, 1]);
      await send(ws, [
        {
          event_name: "PageView",
          event_time: t0 + 130,
          user_data: { anonymous_id: "phone", external_id: "u-7" },
        },
        {
          event_name: "PageView",
          event_time: t0 + 140,
          user_data: { anonymous_id: "laptop", external_id: "u-7" },
        },
      ]);
      r = await report(ws, "?control=A");
      const [a, b] = r.body.variants as Record<string, unknown>[];
      // One person now, first exposed to A: one visitor in A, and the laptop's purchase counts for A.
      expect(a).toMatchObject({ visitors: 1, converters: 1, value: 42 });
      expect(b).toMatchObject({ visitors: 0, converters: 0 });
    });

    it("leaves flagged conversions out under flagged_conversions: exclude", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, `exp-${backend}-4`);
      await send(ws, [exposure("h1", "checkout", "A", t0), exposure("h2", "checkout", "A", t0)]);
      await send(ws, [
        purchase({ anonymous_id: "h1" }, 10, t0 + 10),
        // A crawler's purchase: flagged `bot`.
        purchase({ anonymous_id: "h2", client_user_agent: "curl/8.4.0" }, 99, t0 + 20),
      ]);
      const counted = await report(ws);
      expect((counted.body.variants as Record<string, unknown>[])[0]).toMatchObject({
        converters: 2,
        value: 109,
      });
      expect((await ws.api("PATCH", "/v1/workspace", { flagged_conversions: "exclude" })).status).toBe(200);
      const excluded = await report(ws);
      expect((excluded.body.variants as Record<string, unknown>[])[0]).toMatchObject({
        visitors: 2,
        converters: 1,
        value: 10,
      });
    });

    it("answers 404, 422 and invalid_field as the contract says", async () => {
      const ws = await createWorkspace(tally.url, ADMIN_TOKEN, `exp-${backend}-3`);
      expect((await report(ws)).status).toBe(404);
      await send(ws, [exposure("x1", "checkout", "A", t0)]);
      const bad = await report(ws, "?control=Z");
      expect(bad.status).toBe(422);
      expect(bad.body).toMatchObject({ error: { code: "validation_failed", details: { field: "control" } } });
      const results = await send(ws, [
        exposure("x2", "e".repeat(65), "A", t0),
        exposure("x3", "checkout", "bad\u0001name", t0),
        exposure("x4", "checkout", "B", t0),
      ]);
      expect(results.map((r) => r.status)).toEqual(["rejected", "rejected", "accepted"]);
      expect(results[0]).toMatchObject({ error: { code: "invalid_field", field: "custom_data.experiment" } });
      expect(results[1]).toMatchObject({ error: { code: "invalid_field", field: "custom_data.variant" } });
      const many = Array.from({ length: 21 }, (_, i) => exposure(`m${i}`, "wide", `v${i}`, t0));
      await send(ws, many);
      const wide = await ws.api("GET", "/v1/reports/experiments/wide");
      expect(wide.status).toBe(422);
      // The browser path takes the same fields.
      const res = await client(tally.url)("POST", `/t/collect?k=${ws.public_key}`, {
        events: [{ ...exposure("x5", "checkout", "B", t0), event_time: undefined }],
      });
      expect(res.status).toBe(204);
    });
  });
});
