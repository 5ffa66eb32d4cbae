/**
 * `tally quality refresh-ranges [--data-dir DIR]`: downloads the cloud providers' published
 * address ranges (URLs from TALLY_*_RANGES_URL) into the data folder, for the `datacenter_ip`
 * flag. Run it from cron (weekly is plenty); a started server loads the file.
 */
import { loadConfig, type Config, type ConfigKey } from "../config/config.js";
import { createEndpointPolicy } from "../destinations/endpoint-policy.js";
import { createHttpGet } from "../destinations/http-get.js";
import { rangesPath } from "../quality/datacenter-ranges.js";
import { PROVIDER_NAMES } from "../quality/range-formats.js";
import { refreshRanges, type FetchText } from "../quality/refresh-ranges.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";
import { println, processIo, type CliIo } from "./io.js";

const USAGE = "usage: tally quality refresh-ranges [--data-dir DIR]";
/** Azure's service tags file is the largest, a few MB; this leaves room to grow. */
const MAX_BYTES = 64 * 1024 * 1024;
const TIMEOUT_MS = 120_000;

export function rangeUrls(config: Config) {
  return {
    aws: config.awsRangesUrl,
    google: config.googleRangesUrl,
    azure: config.azureRangesUrl,
    oracle: config.oracleRangesUrl,
  };
}

export async function qualityCommand(argv: string[], io: CliIo = processIo()): Promise<number> {
  try {
    const args = parseArgs(argv, ["data-dir"]);
    if (args.positionals.length !== 1 || args.positionals[0] !== "refresh-ranges")
      throw new UsageError(USAGE);
    const overrides: Partial<Record<ConfigKey, string>> = {};
    const dataDir = stringFlag(args, "data-dir");
    if (dataDir !== undefined) overrides.dataDir = dataDir;
    const config = loadConfig(io.env, overrides);
    const get = createHttpGet(createEndpointPolicy({ allowPrivate: config.allowPrivateEndpoints }));
    const fetchText: FetchText = async (url) => {
      const a = await get(url, { timeoutMs: TIMEOUT_MS, maxBytes: MAX_BYTES });
      if (a.kind === "response")
        return a.status === 200
          ? { ok: true, text: a.text }
          : { ok: false, reason: `HTTP ${a.status} from ${url}` };
      if (a.kind === "timeout") return { ok: false, reason: `no answer from ${url} within ${a.ms / 1000} s` };
      if (a.kind === "too_large") return { ok: false, reason: `${url} is larger than ${a.limitBytes} bytes` };
      return { ok: false, reason: a.message };
    };
    try {
      const outcomes = await refreshRanges({ dataDir: config.dataDir, urls: rangeUrls(config), fetchText });
      for (const o of outcomes) {
        const name = PROVIDER_NAMES[o.provider];
        if (o.status === "updated") println(io.stdout, `${name}: ${o.ranges} ranges from ${o.url}`);
        else if (o.status === "skipped")
          println(io.stdout, `${name}: skipped (off)${o.kept ? `; kept ${o.kept} ranges` : ""}`);
        else
          println(
            io.stderr,
            `${name}: failed: ${o.reason}; ${o.kept ? `kept the ${o.kept} ranges from before` : "no list for it"}`,
          );
      }
      const updated = outcomes.filter((o) => o.status === "updated").length;
      if (updated > 0)
        println(io.stdout, `Wrote ${rangesPath(config.dataDir)}; a server started from now on loads it.`);
      return outcomes.some((o) => o.status === "failed") ? 1 : 0;
    } finally {
      await get.close();
    }
  } catch (e) {
    if (e instanceof UsageError) {
      println(io.stderr, `tally: ${e.message}`);
      return 2;
    }
    throw e;
  }
}
