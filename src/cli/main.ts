/**
 * The `tally` command. Each subcommand lives in its own file; this one only dispatches.
 */
import { ConfigError } from "../config/config.js";
import { serveCommand } from "./serve.js";
import { workspaceCommand } from "./workspace.js";
import { configCommand } from "./config.js";
import { importCommand } from "./import.js";
import { reattributeCommand } from "./reattribute.js";
import { simulateCommand } from "./simulate.js";
import { eraseCommand } from "./erase.js";
import { qualityCommand } from "./quality.js";
import { parseArgs } from "./args.js";

const USAGE = `tally — real-time conversion tracking

Usage:
  tally serve [--port N] [--host H] [--data-dir DIR] [--database-url URL]
  tally workspace create --name NAME [--currency USD] [--timezone UTC]
  tally workspace list
  tally workspace rotate-key ID --key public|secret [--grace SECONDS]
                                    a new key; the old one keeps working for the grace period
  tally config                      every setting, its variable, default and current value
  tally import clicks|impressions|spend|crm FILE.csv|FILE.ndjson [--url URL] [--key sk_…]
                                    stream an ad platform's clicks, impressions or daily spend,
                                    or the CRM's orders (safe to repeat), into a server
  tally simulate [--workspace NAME] [--days 30] [--users 5000] [--seed N] [--rate N] [--live]
                                    realistic traffic against a running server (demo, load)
  tally reattribute --from TIME [--to TIME] [--workspace ID]
                                    recompute stored attribution with the touches known now
  tally erase [--email E] [--phone P] [--external-id X] [--anonymous-id A] [--url URL] [--key sk_…]
                                    forget a person (POST /v1/erasure on a running server)
  tally quality refresh-ranges [--data-dir DIR]
                                    download the cloud providers' address ranges (datacenter_ip)

Settings come from TALLY_* environment variables (see \`tally config\`); flags win.
import, simulate and erase talk to a running server (TALLY_URL, TALLY_SECRET_KEY); docs/cli.md has the details.`;

const COMMANDS: Record<string, (argv: string[]) => Promise<number>> = {
  serve: serveCommand,
  workspace: workspaceCommand,
  config: configCommand,
  import: importCommand,
  simulate: simulateCommand,
  reattribute: reattributeCommand,
  erase: eraseCommand,
  quality: qualityCommand,
};

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (!cmd || cmd === "help" || cmd === "--help" || cmd === "-h") {
    console.log(USAGE);
    return cmd ? 0 : 1;
  }
  const run = COMMANDS[cmd];
  if (!run) {
    console.error(`tally: unknown command "${cmd}"\n\n${USAGE}`);
    return 2;
  }
  return run(rest);
}

export { parseArgs };

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== 0) process.exitCode = code;
  },
  (err: unknown) => {
    console.error(err instanceof ConfigError ? `tally: ${err.message}` : err);
    process.exitCode = err instanceof ConfigError ? 2 : 1;
  },
);
