/**
 * `tally erase --email … [--phone …] [--external-id …] [--anonymous-id …]`: forgets a person
 * through a running server's `POST /v1/erasure`, found and keyed like `tally import` (`--url`,
 * `--key` or TALLY_URL, TALLY_SECRET_KEY). It prints how many identifiers went, never which:
 * a terminal's scrollback is no place to keep them either.
 */
import { loadConfig } from "../config/config.js";
import { ApiClient, failureExitCode, serverUrl } from "./api-client.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";
import { processIo, println, type CliIo } from "./io.js";

const USAGE =
  "usage: tally erase [--email E] [--phone P] [--external-id X] [--anonymous-id A] [--url URL] [--key sk_…]  (at least one identifier)";

const FIELDS = [
  ["email", "email"],
  ["phone", "phone"],
  ["external-id", "external_id"],
  ["anonymous-id", "anonymous_id"],
] as const;

export async function eraseCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  const err = (line: string) => println(io.stderr, line);
  try {
    const args = parseArgs(argv, [...FIELDS.map(([flag]) => flag), "url", "key"]);
    if (args.positionals.length > 0) throw new UsageError(USAGE);
    const body: Record<string, string> = {};
    for (const [flag, field] of FIELDS) {
      const v = stringFlag(args, flag);
      if (v === undefined) continue;
      if (v.trim() === "") throw new UsageError(`--${flag} needs a value`);
      body[field] = v;
    }
    if (Object.keys(body).length === 0) throw new UsageError(USAGE);
    const key = stringFlag(args, "key") ?? io.env.TALLY_SECRET_KEY;
    if (!key) throw new UsageError("give the workspace's secret key with --key sk_… or TALLY_SECRET_KEY");
    const client = new ApiClient({
      baseUrl: serverUrl(stringFlag(args, "url"), io.env, loadConfig(io.env)),
      key,
    });
    // A 503 (the store not yet sure its files are clean) is retried after its Retry-After.
    const res = await client.request<{ erased: number }>("POST", "/v1/erasure", body);
    println(
      io.stdout,
      `Erased ${res.erased} identifier${res.erased === 1 ? "" : "s"} and every trace of them; the erasure is logged (GET /v1/erasures).`,
    );
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
