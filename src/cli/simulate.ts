/**
 * `tally simulate`: realistic traffic against a running server, for demos and load. Users see
 * ads on five platforms, click (landing page views with click ids, or imported clicks), some
 * log in on a second device, and some convert minutes to days later; orders reach the server
 * twice (browser and server, one event_id), and a few events are broken on purpose so the
 * error rate is not zero. The plan is seeded (traffic.ts); this file finds the workspace, runs
 * the backfill and the optional live mode, and prints a summary.
 */
import { loadConfig, type Config } from "../config/config.js";
import { DAY_MS, MINUTE_MS } from "../domain/time.js";
import { ApiClient, failureExitCode, serverUrl } from "./api-client.js";
import { parseArgs, stringFlag, UsageError, type ParsedArgs } from "./args.js";
import { intFlag, takeSwitch } from "./flags.js";
import { processIo, println, type CliIo } from "./io.js";
import { Rng } from "./prng.js";
import { formatDuration, Progress } from "./progress.js";
import { backfillTiming, LIVE_TIMING, planUser, type PlanContext, type Send } from "./traffic.js";
import { TrafficSender, type TrafficCounts } from "./traffic-sender.js";

/** Users planned and sent together in a backfill: bounds memory, keeps the phase order per group. */
const USERS_PER_GROUP = 1000;
/** The API takes events up to 7 days old; the margin covers the run's own duration. */
const EVENT_AGE_LIMIT_MS = 7 * DAY_MS;
const EVENT_AGE_MARGIN_MS = 30 * MINUTE_MS;

export interface Target {
  api: ApiClient;
  browser: ApiClient;
  workspace: { id: string; name: string; publicKey: string };
}

/** The workspace to fill: the secret key's, or found or created by name with the admin token. */
export async function resolveTarget(args: ParsedArgs, io: CliIo, config: Config): Promise<Target> {
  const baseUrl = serverUrl(stringFlag(args, "url"), io.env, config);
  const wanted = stringFlag(args, "workspace");
  const key = stringFlag(args, "key") ?? io.env.TALLY_SECRET_KEY;
  const browser = (publicKey: string) => new ApiClient({ baseUrl, key: publicKey });
  if (key) {
    const api = new ApiClient({ baseUrl, key });
    const ws = await api.request<{ id: string; name: string; public_key: string }>(
      "GET",
      "/v1/workspace",
      undefined,
      { retries: 0 },
    );
    if (wanted && wanted !== ws.id && wanted !== ws.name)
      throw new UsageError(`the key belongs to workspace ${ws.name} (${ws.id}), not "${wanted}"`);
    return {
      api,
      browser: browser(ws.public_key),
      workspace: { id: ws.id, name: ws.name, publicKey: ws.public_key },
    };
  }
  const admin = adminToken(args, config);
  const name = wanted ?? "Demo";
  const adminApi = new ApiClient({ baseUrl, key: admin });
  const list = await adminApi.request<{ data: { id: string; name: string; public_key: string }[] }>(
    "GET",
    "/v1/workspaces",
    undefined,
    { retries: 0 },
  );
  const found = list.data.find((w) => w.id === name) ?? list.data.find((w) => w.name === name);
  if (found) {
    // The admin token acts as the workspace with X-Tally-Workspace: no secret key is needed.
    const api = new ApiClient({ baseUrl, key: admin, headers: { "x-tally-workspace": found.id } });
    return {
      api,
      browser: browser(found.public_key),
      workspace: { id: found.id, name: found.name, publicKey: found.public_key },
    };
  }
  if (/^ws_[0-9a-z]{26}$/.test(name)) throw new UsageError(`no workspace ${name} on ${baseUrl}`);
  const ws = await adminApi.request<{ id: string; name: string; public_key: string; secret_key: string }>(
    "POST",
    "/v1/workspaces",
    { name },
  );
  println(
    io.stdout,
    `Created workspace ${ws.name} (${ws.id})\n  public key: ${ws.public_key}\n  secret key: ${ws.secret_key}   (shown once: store it now)`,
  );
  return {
    api: new ApiClient({ baseUrl, key: ws.secret_key }),
    browser: browser(ws.public_key),
    workspace: { id: ws.id, name: ws.name, publicKey: ws.public_key },
  };
}

function adminToken(args: ParsedArgs, config: Config): string {
  const flag = stringFlag(args, "admin-token");
  if (flag) return flag;
  if (config.adminToken) return config.adminToken;
  // The server keeps only the generated token's hash: there is no file to read it from.
  throw new UsageError(
    "give a workspace's secret key (--key or TALLY_SECRET_KEY) or the admin token (--admin-token or TALLY_ADMIN_TOKEN; a generated one was printed once when the server first started)",
  );
}

export interface SimulateOptions {
  target: Target;
  users: number;
  days: number;
  seed: number;
  /** Items a second: a cap for the backfill (null: as fast as the server answers), the pace of a live run. */
  rate: number | null;
  live: boolean;
  /** Stops a live run after this long (ms); null: until stop() or Ctrl-C. */
  durationMs: number | null;
  progress?: Progress | null;
  /** Resolves when a live run should end (Ctrl-C). */
  stopSignal?: Promise<void>;
}

export interface SimulateResult {
  counts: TrafficCounts;
  tooOld: number;
  notYet: number;
  /** Live run: planned items whose time had not come when it stopped. */
  unsent: number;
  elapsedMs: number;
  startedAt: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export async function runSimulation(o: SimulateOptions): Promise<SimulateResult> {
  const startedAt = Date.now();
  const rng = new Rng(o.seed);
  const runTag = (o.seed >>> 0).toString(36);
  const sender = new TrafficSender({
    api: o.target.api,
    browser: o.target.browser,
    publicKey: o.target.workspace.publicKey,
    rate: o.live ? null : o.rate,
  });
  const result: SimulateResult = {
    counts: sender.counts,
    tooOld: 0,
    notYet: 0,
    unsent: 0,
    elapsedMs: 0,
    startedAt,
  };

  // Backfill: the last `days` of traffic, group by group.
  if (o.days > 0) {
    const ctx: PlanContext = {
      now: startedAt,
      timing: backfillTiming(o.days),
      oldestEvent: startedAt - EVENT_AGE_LIMIT_MS + EVENT_AGE_MARGIN_MS,
      future: "drop",
      runTag,
    };
    for (let first = 0; first < o.users; first += USERS_PER_GROUP) {
      const sends: Send[] = [];
      for (let i = first; i < Math.min(o.users, first + USERS_PER_GROUP); i++) {
        const plan = planUser(rng, i, ctx);
        sends.push(...plan.sends);
        result.tooOld += plan.tooOld;
        result.notYet += plan.notYet;
      }
      await sender.send(sends);
      o.progress?.update(sender.total, o.live ? null : Math.min(1, (first + USERS_PER_GROUP) / o.users));
    }
  }

  // Live: each item is sent when its time comes, and new users arrive whenever what is due
  // falls short of `rate` items a second (so the pace holds while conversions are pending).
  if (o.live) {
    const rate = o.rate ?? 20;
    const later = new Map<number, Send[]>(); // by second
    let index = o.users;
    let stopped = false;
    void o.stopSignal?.then(() => (stopped = true));
    const liveStart = Date.now();
    while (!stopped && (o.durationMs === null || Date.now() - liveStart < o.durationMs)) {
      const tick = Date.now();
      const ready: Send[] = [];
      for (const [sec, list] of later) {
        if (sec * 1000 > tick) continue;
        ready.push(...list);
        later.delete(sec);
      }
      let owed = rate * ((tick - liveStart) / 1000 + 0.25) - sender.total - ready.length;
      for (let guard = 0; owed > 0 && guard < 100_000; guard++) {
        const plan = planUser(rng, index++, {
          now: tick,
          timing: LIVE_TIMING,
          oldestEvent: tick - EVENT_AGE_LIMIT_MS + EVENT_AGE_MARGIN_MS,
          future: "plan",
          runTag,
        });
        for (const s of plan.sends) {
          if (s.at <= tick) {
            ready.push(s);
            owed--;
            continue;
          }
          const sec = Math.floor(s.at / 1000);
          let list = later.get(sec);
          if (!list) later.set(sec, (list = []));
          list.push(s);
        }
      }
      if (ready.length > 0) await sender.send(ready);
      o.progress?.update(sender.total, null);
      await sleep(Math.max(0, 250 - (Date.now() - tick)));
    }
    for (const list of later.values()) result.unsent += list.length;
  }
  result.elapsedMs = Date.now() - startedAt;
  o.progress?.finish();
  return result;
}

const n = (x: number) => Math.round(x).toLocaleString("en-US");

interface MetricsAnswer {
  buckets: {
    conversions: number;
    value: number;
    clicks: number;
    impressions?: number;
    duplicates: number;
    rejected: number;
  }[];
}

/** The server's own count of the run (metrics buckets by arrival, from the run's first minute). */
export async function serverTotals(api: ApiClient, since: number) {
  const from = new Date(since - (since % MINUTE_MS)).toISOString();
  const m = await api.request<MetricsAnswer>(
    "GET",
    `/v1/metrics?bucket=minute&from=${encodeURIComponent(from)}`,
  );
  const t = { conversions: 0, value: 0, clicks: 0, impressions: 0, duplicates: 0, rejected: 0 };
  for (const b of m.buckets) {
    t.conversions += b.conversions;
    t.value += b.value;
    t.clicks += b.clicks;
    t.impressions += b.impressions ?? 0;
    t.duplicates += b.duplicates;
    t.rejected += b.rejected;
  }
  return t;
}

export function formatSimulation(
  o: SimulateOptions,
  r: SimulateResult,
  totals: Awaited<ReturnType<typeof serverTotals>> | null,
): string[] {
  const c = r.counts;
  const s = c.sent;
  const byName = Object.entries(c.conversions)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(", ");
  const reasons = Object.entries(c.reasons)
    .map(([k, v]) => `${k} ${n(v)}`)
    .join(", ");
  const what = o.days > 0 ? `${n(o.users)} users over ${o.days} days` : "no backfill";
  const lines = [
    `Simulated ${what}${o.live ? ` + ${formatDuration(r.elapsedMs)} live` : ""} (seed ${o.seed}) into workspace ${o.target.workspace.name} (${o.target.workspace.id})`,
    `  sent       ${n(s.click)} imported clicks, ${n(s.impression)} impressions, ${n(s.landing)} landing page views, ${n(s.login)} logins,`,
    `             ${n(s.conversion)} conversions (${byName || "none"}), ${n(s.copy)} browser copies of them, ${n(s.bad)} broken events`,
    `  answered   ${n(c.accepted)} accepted, ${n(c.duplicates)} duplicates, ${n(c.rejected)} rejected${reasons ? ` (${reasons})` : ""}   (the /v1 endpoints; /t/collect answers 204 only)`,
  ];
  if (r.tooOld + r.notYet + r.unsent > 0)
    lines.push(
      `  not sent   ${n(r.tooOld)} conversions older than the API's 7-day event limit, ${n(r.notYet + r.unsent)} whose time had not come`,
    );
  if (totals)
    lines.push(
      `  server     conversions ${n(totals.conversions)}, value ${totals.value.toFixed(2)}, clicks ${n(totals.clicks)}, duplicates ${n(totals.duplicates)}, rejected ${n(totals.rejected)}   (GET /v1/metrics since the start)`,
    );
  const secs = r.elapsedMs / 1000;
  lines.push(
    `  in ${formatDuration(r.elapsedMs)}: ${n(c.requests)} requests, ${n(secs > 0 ? Object.values(s).reduce((a, b) => a + b, 0) / secs : 0)} items/s`,
  );
  return lines;
}

const FLAGS = [
  "workspace",
  "days",
  "users",
  "url",
  "key",
  "admin-token",
  "data-dir",
  "rate",
  "seed",
  "duration",
];
const USAGE =
  "usage: tally simulate [--workspace NAME|ID] [--days 30] [--users 5000] [--url URL] [--key sk_…] [--admin-token T] [--rate N] [--seed N] [--live [--duration SECONDS]]";

export async function simulateCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const err = (line: string) => println(io.stderr, line);
  try {
    const rest = [...argv];
    const live = takeSwitch(rest, "live");
    const args = parseArgs(rest, FLAGS);
    if (args.positionals.length > 0) throw new UsageError(USAGE);
    const days = intFlag(args, "days", live ? 0 : 30, live ? 0 : 1, 90);
    const users = intFlag(args, "users", 5000, 1, 10_000_000);
    const rateRaw = stringFlag(args, "rate");
    const rate = rateRaw === undefined ? null : intFlag(args, "rate", 0, 1, 1_000_000);
    const seed =
      stringFlag(args, "seed") === undefined
        ? Math.floor(Math.random() * 2 ** 31)
        : intFlag(args, "seed", 0, 0, 2 ** 32 - 1);
    const durationS = stringFlag(args, "duration");
    if (durationS !== undefined && !live) throw new UsageError("--duration is for --live runs");
    const durationMs = durationS === undefined ? null : intFlag(args, "duration", 0, 1, 365 * 86_400) * 1000;
    const overrides = stringFlag(args, "data-dir") ? { dataDir: stringFlag(args, "data-dir")! } : {};
    const config = loadConfig(io.env, overrides);

    const target = await resolveTarget(args, io, config);
    err(
      `Simulating into workspace ${target.workspace.name} (${target.workspace.id}) at ${target.api.baseUrl}, seed ${seed}${live ? "; Ctrl-C stops the live run" : ""}`,
    );
    // Ctrl-C (or a supervisor's SIGTERM) ends a live run with its summary, not mid-request.
    let onSignal: (() => void) | null = null;
    const stopSignal = live
      ? new Promise<void>((resolve) => {
          onSignal = resolve;
          process.once("SIGINT", resolve).once("SIGTERM", resolve);
        })
      : undefined;
    const opts: SimulateOptions = {
      target,
      users,
      days,
      seed,
      rate,
      live,
      durationMs,
      stopSignal,
      progress: new Progress({ stream: io.stderr, label: "simulate", unit: "items" }),
    };
    let result: SimulateResult;
    try {
      result = await runSimulation(opts);
    } finally {
      if (onSignal) process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
    }
    const totals = await serverTotals(target.api, result.startedAt).catch(() => null);
    for (const line of formatSimulation(opts, result, totals)) println(io.stdout, line);
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`tally: ${e.message}`);
      return 2;
    }
    const code = failureExitCode(e, err);
    if (code !== null) return code;
    throw e;
  }
}
