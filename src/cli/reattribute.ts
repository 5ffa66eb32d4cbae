/**
 * `tally reattribute --from <time> --to <time> [--workspace <id or name>]`: recomputes the
 * stored attribution of the conversions whose `event_time` is in [from, to), from the
 * touches, identity links and conversion-action windows known now. A conversion is
 * attributed once, when it arrives; touches imported later count only after this.
 *
 * It works on the store directly (like `tally workspace`), with the same settings as
 * `tally serve`, and may run while the server does: the period is recomputed a couple of
 * thousand conversions per transaction, so the server's own writes never wait long for the lock.
 */
import { loadConfig, type ConfigKey } from "../config/config.js";
import { MINUTE_MS, isoTime, parseTime } from "../domain/time.js";
import type { ConversionAction } from "../domain/workspace.js";
import { openStore } from "../open-store.js";
import type { Store } from "../storage/storage.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";
import { processIo, println, type CliIo } from "./io.js";
import { Progress } from "./progress.js";

/** Most conversions recomputed in one transaction (more only when they share one millisecond). */
export const SLICE_CONVERSIONS = 2000;

/** A time flag: ISO-8601 with a zone, unix seconds, or a date (midnight UTC). */
export function parseTimeFlag(name: string, raw: string): number {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(raw);
  const t = date ? Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3])) : parseTime(raw);
  if (t === null || !Number.isFinite(t) || (date && isoTime(t).slice(0, 10) !== raw))
    throw new UsageError(
      `--${name} must be a date (2026-03-01, midnight UTC), ISO-8601 with a zone, or unix seconds; got "${raw}"`,
    );
  return t;
}

/** The workspace named by id or by name (a name must be unambiguous). */
async function findWorkspace(store: Store, idOrName: string): Promise<string> {
  const all = await store.listWorkspaces();
  const byId = all.find((w) => w.id === idOrName);
  if (byId) return byId.id;
  const byName = all.filter((w) => w.name === idOrName);
  if (byName.length === 1) return byName[0]!.id;
  if (byName.length > 1)
    throw new UsageError(
      `${byName.length} workspaces are named "${idOrName}": give the id (${byName.map((w) => w.id).join(", ")})`,
    );
  throw new UsageError(`no workspace "${idOrName}" (tally workspace list shows them)`);
}

export interface ReattributeOptions {
  workspaceId: string | null;
  from: number;
  to: number;
  /** Most conversions per transaction (default SLICE_CONVERSIONS). */
  slice?: number;
  /** Called after each transaction with the share of the work done. */
  onSlice?: (fraction: number, recomputed: number) => void;
}

/**
 * Recomputes [from, to) of each workspace in slices of about SLICE_CONVERSIONS conversions,
 * newest first, found by listing the conversions (so empty stretches of time cost nothing);
 * returns how many conversions were recomputed.
 */
export async function reattribute(store: Store, o: ReattributeOptions): Promise<number> {
  // Windows as configured now, read once per workspace.
  const actions = new Map<string, Promise<ConversionAction[]>>();
  const windowsOf = async (ws: string, name: string) => {
    let list = actions.get(ws);
    if (!list) actions.set(ws, (list = store.listConversionActions(ws)));
    const a = (await list).find((x) => x.name === name);
    return a ? { clickWindowDays: a.clickWindowDays, viewWindowDays: a.viewWindowDays } : null;
  };
  const workspaces = o.workspaceId ? [o.workspaceId] : (await store.listWorkspaces()).map((w) => w.id);
  const slice = o.slice ?? SLICE_CONVERSIONS;
  let total = 0;
  for (const [k, ws] of workspaces.entries()) {
    let end = o.to;
    while (end > o.from) {
      // The store lists conversions newest first (the order of GET /v1/conversions).
      const page = await store.listConversions(ws, {
        from: o.from,
        to: end,
        limit: slice,
        after: null,
        model: "last_click",
      });
      if (page.length === 0) break;
      const newest = Math.max(...page.map((c) => c.eventTime));
      const oldest = Math.min(...page.map((c) => c.eventTime));
      // A full page may not hold every conversion of its oldest millisecond: leave that one to
      // the next slice, unless the whole page is that millisecond.
      const start = page.length < slice || oldest === newest ? oldest : oldest + 1;
      total += await store.reattribute(ws, start, Math.min(end, newest + 1), windowsOf);
      end = page.length < slice ? o.from : start;
      o.onSlice?.((k + (o.to - Math.max(end, o.from)) / (o.to - o.from)) / workspaces.length, total);
    }
  }
  return total;
}

const FLAGS: Record<string, ConfigKey | null> = {
  from: null,
  to: null,
  workspace: null,
  "data-dir": "dataDir",
  "database-url": "databaseUrl",
};
const USAGE =
  "usage: tally reattribute --from <time> [--to <time>] [--workspace <id or name>]   (times: 2026-03-01, ISO-8601 with a zone, or unix seconds)";

export async function reattributeCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const err = (line: string) => println(io.stderr, line);
  let store: Store | null = null;
  try {
    const args = parseArgs(argv, Object.keys(FLAGS));
    if (args.positionals.length > 0) throw new UsageError(USAGE);
    const overrides: Partial<Record<ConfigKey, string>> = {};
    for (const [flag, key] of Object.entries(FLAGS)) {
      const v = stringFlag(args, flag);
      if (key && v !== undefined) overrides[key] = v;
    }
    const config = loadConfig(io.env, overrides);
    const fromRaw = stringFlag(args, "from");
    if (!fromRaw) throw new UsageError(USAGE);
    const from = parseTimeFlag("from", fromRaw);
    const toRaw = stringFlag(args, "to");
    // Without --to: up to now, plus the clock skew the API lets event times have.
    const to = toRaw ? parseTimeFlag("to", toRaw) : Date.now() + config.maxFutureMinutes * MINUTE_MS + 1;
    if (to <= from) throw new UsageError("--to must be after --from");

    store = await openStore(config);
    const wsFlag = stringFlag(args, "workspace");
    const workspaceId = wsFlag ? await findWorkspace(store, wsFlag) : null;
    const progress = new Progress({ stream: io.stderr, label: "reattribute", unit: "conversions" });
    const n = await reattribute(store, {
      workspaceId,
      from,
      to,
      onSlice: (fraction, done) => progress.update(done, fraction),
    });
    progress.finish();
    println(
      io.stdout,
      `Recomputed the attribution of ${n.toLocaleString("en-US")} conversion${n === 1 ? "" : "s"} with event_time from ${isoTime(from)} to ${isoTime(to)} (${workspaceId ? `workspace ${workspaceId}` : "every workspace"}).`,
    );
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      err(`tally: ${e.message}`);
      return 2;
    }
    throw e;
  } finally {
    await store?.close();
  }
}
