import { loadConfig, type ConfigKey } from "../config/config.js";
import { startTally } from "../main.js";
import { parseArgs, stringFlag } from "./args.js";

const FLAGS: Record<string, ConfigKey> = {
  port: "port",
  host: "host",
  "data-dir": "dataDir",
  "database-url": "databaseUrl",
  "log-level": "logLevel",
};

/** `tally serve`: run until SIGTERM/SIGINT, then stop accepting, flush what was acknowledged, exit 0. */
export async function serveCommand(argv: string[]): Promise<number> {
  const args = parseArgs(argv, Object.keys(FLAGS));
  const overrides: Partial<Record<ConfigKey, string>> = {};
  for (const [flag, key] of Object.entries(FLAGS)) {
    const v = stringFlag(args, flag);
    if (v !== undefined) overrides[key] = v;
  }
  const config = loadConfig(process.env, overrides);
  // The handlers are registered before the server starts and stay until the process exits: a
  // signal while it starts (the port may already answer while workers load) stops it once it has
  // started, and a supervisor that signals the whole process group reaches node directly and
  // again through npm — the second signal must not fall through to the default action (killing
  // the process mid-flush).
  let signalled: NodeJS.Signals | null = null;
  let wake: (() => void) | null = null;
  let tally: Awaited<ReturnType<typeof startTally>> | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (signalled) {
      tally?.deps.logger.info({ signal: sig }, "already stopping; the flush goes on");
      return;
    }
    signalled = sig;
    wake?.();
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  tally = await startTally(config);
  console.log(
    `Tally is running on ${tally.url} (dashboard at ${tally.url}/, store: ${tally.deps.store.kind})`,
  );
  if (!signalled) await new Promise<void>((resolve) => (wake = resolve));
  tally.deps.logger.info({ signal: signalled }, "stopping");
  await tally.stop();
  // Everything is flushed and closed. Once the event loop has nothing left to do (the log's last
  // writes included), exit from within it rather than let it run dry: a natural exit tears the
  // environment down with the signal handlers removed first (their default action restored), and
  // a signal landing then (npm's forwarded copy, a supervisor's second TERM) ended the process
  // by that signal after a clean flush, which a supervisor reads as a crash. process.exit keeps
  // the handlers in place to the end.
  process.once("beforeExit", () => process.exit(0));
  return 0;
}
