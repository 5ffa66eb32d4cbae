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
  const tally = await startTally(config);
  console.log(
    `Tally is running on ${tally.url} (dashboard at ${tally.url}/, store: ${tally.deps.store.kind})`,
  );
  // The handlers stay registered until the process exits: a supervisor that signals the whole
  // process group reaches node directly and again through npm, and the second signal must not
  // fall through to the default action (killing the process mid-flush).
  let signalled = false;
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      if (signalled) {
        tally.deps.logger.info({ signal: sig }, "already stopping; the flush goes on");
        return;
      }
      signalled = true;
      tally.deps.logger.info({ signal: sig }, "stopping");
      resolve();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
  });
  await tally.stop();
  return 0;
}
