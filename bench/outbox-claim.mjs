// The outbox claim on PostgreSQL when `events` holds many monthly partitions (issue 18): a
// worker claims up to 1,000 due deliveries and reads their events. Joined by id alone, each
// claimed row probes every partition's key; read with the received_at its id carries
// (partitions.ts `readByEventIds`), one partition's. Both shapes run round by round on the same
// data, in a private schema dropped at the end:
//   - "join by id": the claim as it was, one statement joining events by (workspace_id, id);
//   - "this build": the store's own `claimDeliveries` (claim, then the events by id and time).
// Past rows have ids made from their received_at as Tally makes them (ids sort by time, and a
// merge join over every partition's key is as long as it would be). After each claim the leases are reset (untimed), so every round claims the same deliveries.
//
//   node scripts/build.mjs && node bench/outbox-claim.mjs [--months 13] [--rows-per-month 100000]
//     [--deliveries 1000] [--rounds 30] [--old 0]
//
// `--old N`: N of the claimed deliveries are of events received in the oldest past month (an
// adjustment of an old conversion, a dead delivery replayed), the rest of this month's.
//
// The database is TALLY_BENCH_DATABASE_URL, else TALLY_TEST_DATABASE_URL, else
// postgres://postgres@127.0.0.1:5432/test.
import pg from "pg";
import { QUICK, printMachine } from "./lib/machine.mjs";
import { fmt, median, table } from "./lib/stats.mjs";
import { withBenchSchema } from "./lib/pg.mjs";
import { ROOT } from "./lib/server.mjs";

const args = process.argv.slice(2);
const opt = (name, def) => {
  const i = args.indexOf(`--${name}`);
  return Number(i >= 0 ? args[i + 1] : def);
};
const MONTHS = opt("months", 13);
const ROWS_PER_MONTH = opt("rows-per-month", QUICK ? 20_000 : 100_000);
const DELIVERIES = opt("deliveries", 1000);
const ROUNDS = opt("rounds", QUICK ? 10 : 30);
const OLD = Math.min(opt("old", 0), DELIVERIES);
if (OLD > 0 && MONTHS < 1) throw new Error("--old needs --months ≥ 1");
const DAY = 86_400_000;

const { PostgresStore } = await import(`${ROOT}/dist/src/storage/postgres/postgres-store.js`);
const { commitCore } = await import(`${ROOT}/dist/src/open-store.js`);
const { newId } = await import(`${ROOT}/dist/src/domain/ids.js`);
const { EVENT_READ_COLUMNS, eventFromRow } = await import(`${ROOT}/dist/src/storage/event-row.js`);

/** The claim before this change: one statement, events joined by (workspace_id, id) alone. */
const JOINED = `WITH due AS (
    SELECT id FROM deliveries
    WHERE workspace_id = $6 AND destination_id = $1 AND status = 'pending' AND next_attempt_at <= $2
      AND lease_until <= $2
    ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED),
  claimed AS (
    UPDATE deliveries d SET lease_owner = $4, lease_until = $5 FROM due WHERE d.workspace_id = $6 AND d.id = due.id
    RETURNING d.id, d.workspace_id, d.destination_id, d.attempts, d.created_at, d.event_ref, d.next_attempt_at, d.kind, d.payload)
  SELECT c.id AS delivery_id, c.destination_id, c.attempts, c.created_at AS delivery_created_at,
         c.kind AS delivery_kind, c.event_ref AS delivery_ref, c.payload AS delivery_payload,
         ${EVENT_READ_COLUMNS.split(", ")
           .map((col) => `e.${col}`)
           .join(", ")}
  FROM claimed c LEFT JOIN events e
    ON e.workspace_id = c.workspace_id AND e.id = c.event_ref AND c.kind IN ('event', 'adjustment')
  ORDER BY c.next_attempt_at, c.id`;

const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;

/** Crockford base32 as domain/ids.ts writes ids, so past rows' ids sort as real ones do. */
const ALPHABET = "'0123456789abcdefghjkmnpqrstvwxyz'";

/** Past months of other rows (filled apart, then attached), and this month's claimed events. */
async function fill(c, ws, dst, now) {
  const t0 = process.hrtime.bigint();
  for (let m = 1; m <= MONTHS; m++) {
    const d = new Date(now);
    const lo = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - m, 1);
    const hi = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - m + 1, 1);
    const name = `events_past_${m}`;
    await c.query(`CREATE TABLE ${name} (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)`);
    await c.query(
      `INSERT INTO ${name} (id, workspace_id, event_name, is_conversion, event_time, received_at, event_id, value, currency, payload, source)
       SELECT 'evt_' || (SELECT string_agg(substr(${ALPHABET}, ((t >> (5 * (9 - k))) & 31)::int + 1, 1), '' ORDER BY k)
                         FROM generate_series(0, 9) AS k) || lpad(i::text, 16, '0'), CASE WHEN i % 5 = 0 THEN $1 ELSE 'ws_other_' || (i % 97) END, 'Purchase', true,
              t, t, 'e' || i, 10, 'USD', '{"c":{"value":10}}', 'server'
       FROM generate_series(1, ${ROWS_PER_MONTH}) AS g(i), LATERAL (SELECT ${lo}::bigint + i * ${Math.floor((hi - lo) / (ROWS_PER_MONTH + 1))}::bigint AS t) AS x`,
      [ws],
    );
    await c.query(`ALTER TABLE events ATTACH PARTITION ${name} FOR VALUES FROM (${lo}) TO (${hi})`);
  }
  // This month's events (ids made from their received_at, as normalize makes them; `--old` of
  // them in the oldest month), each with a pending delivery to the destination.
  const ids = [];
  const times = [];
  const d = new Date(now);
  const oldest = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - MONTHS, 1) + DAY;
  for (let i = 0; i < DELIVERIES; i++) {
    const at = (i < OLD ? oldest : now - DAY) + i * 1000;
    times.push(at);
    ids.push(newId("evt", at));
  }
  await c.query(
    `INSERT INTO events (id, workspace_id, event_name, is_conversion, event_time, received_at, event_id, value, currency, payload, source)
     SELECT id, $2, 'Purchase', true, t, t, 'claim-' || id, 12.5, 'USD', '{"c":{"value":12.5}}', 'server'
     FROM unnest($1::text[], $3::int8[]) AS x(id, t)`,
    [ids, ws, times],
  );
  await c.query(
    `INSERT INTO deliveries (id, workspace_id, destination_id, event_ref, status, next_attempt_at, created_at)
     SELECT 'dlv_' || id, $2, $3, id, 'pending', t, t FROM unnest($1::text[], $4::int8[]) AS x(id, t)`,
    [ids, ws, dst, times],
  );
  await c.query("ANALYZE");
  const parts = (
    await c.query("SELECT count(*)::int AS n FROM pg_inherits WHERE inhparent = 'events'::regclass")
  ).rows[0].n;
  return { seconds: ms(t0) / 1000, partitions: parts };
}

async function main() {
  printMachine(
    `outbox claim: ${fmt.int(DELIVERIES)} deliveries a claim (${OLD} of them of events ${MONTHS} months old), events over ${MONTHS} past months`,
  );
  const done = await withBenchSchema("tally_claim", async (url) => {
    const store = new PostgresStore({ url, dedupWindowMs: 7 * DAY, maxGroupWeight: 1000, core: commitCore });
    await store.init();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const now = Date.now();
      const ws = "ws_claim_bench";
      const dst = "dst_claim_bench";
      const filled = await fill(c, ws, dst, now);
      console.log(
        `   events: ${fmt.int(MONTHS * ROWS_PER_MONTH + DELIVERIES)} rows in ${filled.partitions} partitions (${filled.seconds.toFixed(0)} s to make)`,
      );
      const reset = () =>
        c.query("UPDATE deliveries SET lease_until = 0, lease_owner = NULL WHERE workspace_id = $1", [ws]);
      const shapes = {
        // Its rows made into events as the store did (JSON payload and all), like for like.
        "join by id": async () =>
          (await c.query(JOINED, [dst, now + 1, DELIVERIES, "bench", now + 60_000, ws])).rows.map(
            eventFromRow,
          ).length,
        "this build": async () =>
          (await store.claimDeliveries(ws, dst, DELIVERIES, now + 1, 60_000, "bench")).filter((j) => j.event)
            .length,
      };
      const times = Object.fromEntries(Object.keys(shapes).map((k) => [k, []]));
      for (let round = 0; round < ROUNDS + 2; round++) {
        const names = Object.keys(shapes);
        if (round % 2) names.reverse(); // alternate who goes first
        for (const name of names) {
          await reset();
          const t0 = process.hrtime.bigint();
          const found = await shapes[name]();
          const took = ms(t0);
          if (found !== DELIVERIES) throw new Error(`${name}: ${found} of ${DELIVERIES} events found`);
          if (round >= 2) times[name].push(took);
        }
      }
      const rows = [["claim of " + fmt.int(DELIVERIES) + " with their events", "median", "per delivery"]];
      for (const [name, t] of Object.entries(times))
        rows.push([name, `${median(t).toFixed(1)} ms`, `${((median(t) * 1000) / DELIVERIES).toFixed(1)} µs`]);
      console.log(`   median of ${ROUNDS} rounds (after 2 warm-up rounds), shapes alternating\n`);
      console.log(table(rows).replace(/^/gm, "   "));
    } finally {
      await c.end();
      await store.close();
    }
    return true;
  });
  if (done === null) return;
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});
