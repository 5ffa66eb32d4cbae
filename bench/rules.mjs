// Rules: what evaluating them costs, and how soon a signal reaches the live feed.
//
//   node bench/rules.mjs                 (npm run bench -- rules)
//   BENCH_QUICK=1 node bench/rules.mjs   shorter runs
//
// 1. Evaluation cost per accepted conversion with 100 active rules (the engine of the built
//    server, in this process): each conversion moves the window tables of its workspace (one
//    per distinct model × group_by × window of the rules) and evaluates every rule on the keys
//    it touched. Rules that never hold, and rules that hold but sit in their cooldown (the
//    common case once a key has fired). Same-run baseline: the same calls with no rule.
//    Target: < 50 µs per conversion.
// 2. Conversion → signal on the live feed, on the built server: a rule `conversions >= 1`
//    per campaign (cooldown 0), each conversion on a new campaign, one request at a time; the
//    time from sending the event to the `signal` message on a subscriber, beside the same
//    conversion's `conversion` message (same-run baseline). Target: p99 < 250 ms.
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import WebSocket from "ws";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { createWorkspace, post, ROOT, startTally } from "./lib/server.mjs";
import { fmt, quantile, table, verdict } from "./lib/stats.mjs";

const dist = (p) => import(pathToFileURL(join(ROOT, "dist/src", p)).href);
const { RuleEngine } = await dist("rules/rule-engine.js");
const { Bus } = await dist("bus.js");

printMachine("bench/rules — rule evaluation per conversion, conversion → signal latency");
await evaluationCost();
await signalLatency();

async function evaluationCost() {
  const CAMPAIGNS = 200;
  const N = QUICK ? 50_000 : 200_000;
  const MODELS = ["last_click", "first_click", "linear", "time_decay", "position_based"];
  const WINDOWS = [1, 6, 24, 168];
  const METRICS = ["cpa", "roas", "conversions", "value", "spend", "conversion_rate"];
  const now = Date.now();
  const rulesOf = (n, holds) =>
    Array.from({ length: n }, (_, i) => ({
      id: `rul_${String(i).padStart(26, "0")}`,
      workspaceId: "ws_bench",
      createdAt: now,
      updatedAt: now,
      spec: {
        name: `rule ${i}`,
        metric: METRICS[i % METRICS.length],
        op: holds ? ">=" : "<",
        threshold: holds ? 0 : -1,
        window_hours: WINDOWS[i % WINDOWS.length],
        group_by: i % 10 === 0 ? "platform" : "campaign",
        model: MODELS[i % 2],
        min_spend: 0,
        min_conversions: 0,
        signal: "notify",
        cooldown_minutes: 60,
        enabled: true,
        apply: null,
      },
    }));
  const rows = Array.from({ length: CAMPAIGNS }, (_, i) => ({
    platform: i % 2 ? "google" : "meta",
    key: `Campaign ${i}`,
    aliases: [String(100000 + i)],
    totals: { spend: 100 + i, impressions: 1000, clicks: 50, conversions: 3, value: 250 },
  }));
  const messages = Array.from({ length: 1000 }, (_, i) => {
    const c = (k) => ({
      platform: k % 2 ? "google" : "meta",
      campaign: `Campaign ${k}`,
      ad: null,
      time: now - 1000,
      credit: 1,
    });
    const a = (i * 7) % CAMPAIGNS;
    const b = (i * 13) % CAMPAIGNS;
    const attribution = {
      last_click: [c(a)],
      first_click: [c(b)],
      linear: [
        { ...c(a), credit: 0.5 },
        { ...c(b), credit: 0.5 },
      ],
      time_decay: [
        { ...c(a), credit: 0.6 },
        { ...c(b), credit: 0.4 },
      ],
      position_based: [
        { ...c(a), credit: 0.5 },
        { ...c(b), credit: 0.5 },
      ],
    };
    return {
      type: "conversion",
      workspaceId: "ws_bench",
      id: `evt_${i}`,
      eventName: "Purchase",
      eventTime: now - 500,
      receivedAt: now,
      value: 40,
      currency: "USD",
      eventId: null,
      attribution,
    };
  });

  async function engineWith(rules, firedRecently) {
    const store = {
      getWorkspace: async () => ({ id: "ws_bench", currency: "USD", timezone: "UTC" }),
      rules: {
        listRules: async () => rules,
        listFires: async () =>
          firedRecently
            ? rules.flatMap((r) =>
                [...rows, { platform: "meta", key: "meta" }, { platform: "google", key: "google" }].map(
                  (x) => ({
                    ruleId: r.id,
                    key: `${x.platform}\u001f${x.key}`,
                    firedAt: Date.now(),
                  }),
                ),
              )
            : [],
        recordSignal: async () => false,
      },
    };
    const engine = new RuleEngine({
      store,
      bus: new Bus(),
      logger: { warn() {}, error() {} },
      window: async (_ws, q) => (q.groupBy === "platform" ? [] : rows),
      signalTargets: async () => [],
      tickMs: 3_600_000,
    });
    await engine.start();
    return engine;
  }

  function time(engine) {
    for (let i = 0; i < 20_000; i++) engine.onConversion(messages[i % messages.length]);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < N; i++) engine.onConversion(messages[i % messages.length]);
    return Number(process.hrtime.bigint() - t0) / N / 1000; // µs
  }

  console.log(
    `\n-- evaluation per conversion (${fmt.int(N)} conversions, ${CAMPAIGNS} campaigns, 5 credits per conversion over 2 models)`,
  );
  const out = [["rules", "state", "µs per conversion", "added vs no rule", "target < 50 µs"]];
  const none = await engineWith([], false);
  const base = Math.min(time(none), time(none));
  await none.stop();
  out.push(["0", "(baseline)", base.toFixed(2), "–", ""]);
  for (const [label, holds, recent] of [
    ["never hold", false, false],
    ["hold, in cooldown", true, true],
  ]) {
    const e = await engineWith(rulesOf(100, holds), recent);
    const us = Math.min(time(e), time(e));
    await e.stop();
    out.push(["100", label, us.toFixed(2), (us - base).toFixed(2), verdict(us - base < 50)]);
  }
  console.log(table(out));
}

async function signalLatency() {
  const N = QUICK ? 100 : 300;
  console.log(
    `\n-- conversion → signal on the live feed (${N} conversions, one request at a time, each on a new campaign)`,
  );
  const tally = await startTally();
  try {
    const ws = await createWorkspace(tally.url, "Rules bench");
    await post(tally.url, ws.secret_key, "/v1/rules", {
      name: "first sale",
      metric: "conversions",
      op: ">=",
      threshold: 1,
      window_hours: 24,
      group_by: "campaign",
      signal: "notify",
      cooldown_minutes: 0,
    });
    const nowS = Math.floor(Date.now() / 1000);
    for (let i = 0; i < N; i += 500)
      await post(tally.url, ws.secret_key, "/v1/clicks", {
        data: Array.from({ length: Math.min(500, N - i) }, (_, j) => ({
          time: nowS - 60,
          platform: "google",
          campaign: `c${i + j}`,
          click_id: `bench-click-${i + j}`,
        })),
      });
    const sock = new WebSocket(`${tally.url.replace(/^http/, "ws")}/v1/live?token=${ws.secret_key}`);
    await new Promise((resolve, reject) => {
      sock.once("open", resolve);
      sock.once("error", reject);
    });
    const sentAt = new Map();
    const conv = [];
    const sig = [];
    let waiting = null;
    sock.on("message", (buf) => {
      const m = JSON.parse(String(buf));
      const t = performance.now();
      if (m.type === "conversion") {
        const s = sentAt.get(m.data.event_id);
        if (s) conv.push(t - s);
      } else if (m.type === "signal") {
        const s = sentAt.get(`bench-rule-${m.data.key.slice(1)}`);
        if (s) {
          sig.push(t - s);
          waiting?.();
        }
      }
    });
    for (let i = 0; i < N; i++) {
      const done = new Promise((r) => (waiting = r));
      sentAt.set(`bench-rule-${i}`, performance.now());
      await post(tally.url, ws.secret_key, "/v1/events", {
        data: [
          {
            event_name: "Purchase",
            event_time: Math.floor(Date.now() / 1000) - 1,
            event_id: `bench-rule-${i}`,
            user_data: { click_id: `bench-click-${i}` },
            custom_data: { value: 10, currency: "USD" },
          },
        ],
      });
      await Promise.race([done, new Promise((r) => setTimeout(r, 2000))]);
    }
    sock.close();
    const q = (xs, p) => (xs.length ? quantile(xs, p) : null);
    console.log(
      table([
        ["message", "received", "p50", "p99", "max", "target"],
        [
          "conversion (baseline)",
          String(conv.length),
          fmt.ms(q(conv, 0.5)),
          fmt.ms(q(conv, 0.99)),
          fmt.ms(Math.max(...conv)),
          "",
        ],
        [
          "signal",
          `${sig.length} of ${N}`,
          fmt.ms(q(sig, 0.5)),
          fmt.ms(q(sig, 0.99)),
          fmt.ms(Math.max(...sig)),
          `p99 < 250 ms: ${verdict(sig.length === N && q(sig, 0.99) < 250)}`,
        ],
      ]),
    );
  } finally {
    await tally.stop();
  }
}
