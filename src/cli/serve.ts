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
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      tally.deps.logger.info({ signal: sig }, "stopping");
      resolve();
    };
    process.once("SIGTERM", onSignal);
    process.once("SIGINT", onSignal);
  });
  await tally.stop();
  return 0;
}
