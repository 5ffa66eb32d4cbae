/**
 * Every setting Tally has, in one table: environment variable, default, description and parser.
 * `loadConfig()` runs once at start; everything else receives the frozen result (or a slice).
 */

import { parseTrustedProxies } from "../http/client-address.js";

interface Setting<T> {
  env: string;
  default: T;
  description: string;
  parse: (raw: string) => T;
}

function int(min: number, max: number) {
  return (raw: string): number => {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`must be a whole number from ${min} to ${max}`);
    return n;
  };
}
const str = (raw: string): string => raw;
const optStr = (raw: string): string | null => (raw === "" ? null : raw);
function oneOf<T extends string>(...values: T[]) {
  return (raw: string): T => {
    if (!(values as string[]).includes(raw)) throw new Error(`must be one of ${values.join(", ")}`);
    return raw as T;
  };
}
/** The admin token: long enough that guessing it is hopeless, and never shaped like a workspace key. */
const adminTokenValue = (raw: string): string | null => {
  if (raw === "") return null;
  if (raw.length < 24)
    throw new Error(
      `is ${raw.length} characters long; it must have at least 24 (e.g. \`openssl rand -base64 32\`), or leave it unset to have one generated`,
    );
  if (/\s/.test(raw)) throw new Error("must not contain spaces");
  if (raw.startsWith("pk_") || raw.startsWith("sk_"))
    throw new Error("must not begin with pk_ or sk_ (those are workspace keys)");
  return raw;
};
const trustedProxies = (raw: string): string[] | null => (raw === "" ? null : parseTrustedProxies(raw));
const bool = (raw: string): boolean => {
  if (/^(1|true|yes|on)$/i.test(raw)) return true;
  if (/^(0|false|no|off)$/i.test(raw)) return false;
  throw new Error("must be true or false");
};

/** A default that `off` may turn into null. */
const orOff = (url: string): string | null => url;
/** A URL to download published address ranges from, or `off`. */
const rangesUrl = (raw: string): string | null => {
  if (raw === "off") return null;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new Error("must be an http(s) URL or off");
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw new Error("must be an http(s) URL or off");
  return u.toString();
};

export const SETTINGS = {
  port: {
    env: "TALLY_PORT",
    default: 8787,
    description: "TCP port to listen on (0 = any free port).",
    parse: int(0, 65535),
  },
  host: { env: "TALLY_HOST", default: "127.0.0.1", description: "Address to listen on.", parse: str },
  dataDir: {
    env: "TALLY_DATA_DIR",
    default: "./data",
    description: "Folder of the embedded store, the generated admin token's hash and the encryption key.",
    parse: str,
  },
  databaseUrl: {
    env: "TALLY_DATABASE_URL",
    default: null as string | null,
    description: "postgres://… to use PostgreSQL instead of the embedded store.",
    parse: optStr,
  },
  adminToken: {
    env: "TALLY_ADMIN_TOKEN",
    default: null as string | null,
    description:
      "Admin token, at least 24 characters; when unset one is generated on first start, printed once, and only its hash kept in the data folder.",
    parse: adminTokenValue,
  },
  encryptionKey: {
    env: "TALLY_ENCRYPTION_KEY",
    default: null as string | null,
    description:
      "64 hex chars (32 bytes) encrypting client IPs and destination secrets; when unset one is generated once into the data folder. Nodes sharing a database need the same key: a key that cannot read the store's encrypted rows refuses to start.",
    parse: (raw: string): string => {
      if (!/^[0-9a-fA-F]{64}$/.test(raw)) throw new Error("must be 64 hex characters (32 bytes)");
      return raw;
    },
  },
  logLevel: {
    env: "TALLY_LOG_LEVEL",
    default: "info",
    description: "Log level (pino).",
    parse: oneOf("fatal", "error", "warn", "info", "debug", "trace", "silent"),
  },
  bodyLimitBytes: {
    env: "TALLY_BODY_LIMIT_BYTES",
    default: 1_048_576,
    description: "Largest accepted request body.",
    parse: int(1024, 64 * 1_048_576),
  },
  maxBatch: {
    env: "TALLY_MAX_BATCH",
    default: 1000,
    description: "Most events (or touches) in one request.",
    parse: int(1, 100_000),
  },
  maxJsonDepth: {
    env: "TALLY_MAX_JSON_DEPTH",
    default: 20,
    description: "Deepest JSON nesting accepted in a body.",
    parse: int(4, 1000),
  },
  maxEventAgeDays: {
    env: "TALLY_MAX_EVENT_AGE_DAYS",
    default: 7,
    description: "Oldest `event_time` accepted, in days.",
    parse: int(1, 3650),
  },
  maxFutureMinutes: {
    env: "TALLY_MAX_FUTURE_MINUTES",
    default: 10,
    description: "Furthest `event_time` in the future accepted, in minutes.",
    parse: int(0, 1440),
  },
  dedupWindowDays: {
    env: "TALLY_DEDUP_WINDOW_DAYS",
    default: 7,
    description: "How long an event id or order id keeps later copies out.",
    parse: int(1, 365),
  },
  maxTouchAgeDays: {
    env: "TALLY_MAX_TOUCH_AGE_DAYS",
    default: 90,
    description: "Oldest click or impression accepted, in days.",
    parse: int(1, 3650),
  },
  ipRetentionDays: {
    env: "TALLY_IP_RETENTION_DAYS",
    default: 7,
    description: "How long the encrypted client IP is kept for forwarding (at most the dedup window).",
    parse: int(0, 365),
  },
  retentionMonths: {
    env: "TALLY_RETENTION_MONTHS",
    default: 0,
    description:
      "PostgreSQL: whole months of events kept besides the current one; older monthly partitions are dropped hourly (0 = keep all).",
    parse: int(0, 1200),
  },
  rateLimitPerSecond: {
    env: "TALLY_RATE_LIMIT_PER_SECOND",
    default: 0,
    description:
      "Requests per second per key (token bucket; bursts up to twice this); 0: no per-key limit (the default).",
    parse: int(0, 10_000_000),
  },
  requestTimeoutMs: {
    env: "TALLY_REQUEST_TIMEOUT_MS",
    default: 30_000,
    description: "Longest time a client may take to send a whole request.",
    parse: int(1000, 600_000),
  },
  headersTimeoutMs: {
    env: "TALLY_HEADERS_TIMEOUT_MS",
    default: 10_000,
    description: "Longest time a client may take to send its headers (slowloris guard).",
    parse: int(1000, 600_000),
  },
  keepAliveTimeoutMs: {
    env: "TALLY_KEEPALIVE_TIMEOUT_MS",
    default: 72_000,
    description: "Idle keep-alive connection timeout.",
    parse: int(1000, 600_000),
  },
  commitMaxBatch: {
    env: "TALLY_COMMIT_MAX_EVENTS",
    default: 5000,
    description: "Most events one group commit (one transaction, one sync) takes.",
    parse: int(1, 1_000_000),
  },
  sqliteSynchronous: {
    env: "TALLY_SQLITE_SYNCHRONOUS",
    default: "full",
    description:
      "SQLite `synchronous`: `full` makes a 200 survive a power cut; `normal` only a process crash.",
    parse: oneOf("full", "normal"),
  },
  liveMaxBufferedBytes: {
    env: "TALLY_LIVE_MAX_BUFFERED_BYTES",
    default: 1_048_576,
    description: "A live-feed subscriber whose unsent data passes this is disconnected.",
    parse: int(1024, 1 << 30),
  },
  outboxEnabled: {
    env: "TALLY_OUTBOX",
    default: true,
    description: "Run the destination delivery workers on this node.",
    parse: bool,
  },
  outboxPollMs: {
    env: "TALLY_OUTBOX_POLL_MS",
    default: 250,
    description: "How often idle delivery workers look for due deliveries.",
    parse: int(10, 60_000),
  },
  trafficQuality: {
    env: "TALLY_TRAFFIC_QUALITY",
    default: true,
    description:
      "Decide traffic quality (bot, flood, burst, datacenter flags) for every click and conversion; off: none is judged.",
    parse: bool,
  },
  awsRangesUrl: {
    env: "TALLY_AWS_RANGES_URL",
    default: orOff("https://ip-ranges.amazonaws.com/ip-ranges.json"),
    description:
      "Where `tally quality refresh-ranges` reads AWS's address ranges (ip-ranges.json); `off`: skip.",
    parse: rangesUrl,
  },
  googleRangesUrl: {
    env: "TALLY_GOOGLE_RANGES_URL",
    default: orOff("https://www.gstatic.com/ipranges/cloud.json"),
    description:
      "Where `tally quality refresh-ranges` reads Google Cloud's address ranges (cloud.json); `off`: skip.",
    parse: rangesUrl,
  },
  azureRangesUrl: {
    env: "TALLY_AZURE_RANGES_URL",
    default: orOff("https://www.microsoft.com/en-us/download/details.aspx?id=56519"),
    description:
      "Where `tally quality refresh-ranges` reads Azure's service tags (a ServiceTags_Public JSON file, or the download page linking to it); `off`: skip.",
    parse: rangesUrl,
  },
  oracleRangesUrl: {
    env: "TALLY_ORACLE_RANGES_URL",
    default: orOff("https://docs.oracle.com/en-us/iaas/tools/public_ip_ranges.json"),
    description:
      "Where `tally quality refresh-ranges` reads Oracle Cloud's address ranges (public_ip_ranges.json); `off`: skip.",
    parse: rangesUrl,
  },
  trustProxy: {
    env: "TALLY_TRUST_PROXY",
    default: null as string[] | null,
    description:
      "Comma-separated addresses/CIDRs of your proxies (or loopback, linklocal, uniquelocal): X-Forwarded-For and X-Forwarded-Proto are believed only from them. Unset: the socket address is the client.",
    parse: trustedProxies,
  },
  rateLimitPerIp: {
    env: "TALLY_RATE_LIMIT_PER_IP",
    default: 3000,
    description:
      "Requests a minute one client address (IPv6: its /64) may make to /t/* and /c/* before 429 (bursts up to this many at once); 0 = off.",
    parse: int(0, 100_000_000),
  },
  liveMaxPerWorkspace: {
    env: "TALLY_LIVE_MAX_PER_WORKSPACE",
    default: 100,
    description: "Most live-feed connections open at once per workspace (on this node); more get 429.",
    parse: int(1, 1_000_000),
  },
  liveMaxPerClient: {
    env: "TALLY_LIVE_MAX_PER_CLIENT",
    default: 20,
    description:
      "Most live-feed connections open at once per client address (IPv6: its /64, on this node); more get 429.",
    parse: int(1, 1_000_000),
  },
  sessionTtlHours: {
    env: "TALLY_SESSION_TTL_HOURS",
    default: 12,
    description: "Lifetime of a dashboard login.",
    parse: int(1, 24 * 90),
  },
  allowPrivateEndpoints: {
    env: "TALLY_ALLOW_PRIVATE_ENDPOINTS",
    default: false,
    description:
      "`1`: destination URLs may be http:// and point at loopback, private or reserved addresses (tests, on-premise fakes); otherwise only https:// to public addresses.",
    parse: bool,
  },
} as const satisfies Record<string, Setting<unknown>>;

type Settings = typeof SETTINGS;
export type Config = { readonly [K in keyof Settings]: Settings[K]["default"] };
export type ConfigKey = keyof Settings;

export class ConfigError extends Error {}

/** Settings whose values are never printed. */
const SECRET_SETTINGS = new Set<ConfigKey>(["adminToken", "encryptionKey", "databaseUrl"]);

/** Reads settings from the environment and explicit overrides (CLI flags win). Throws ConfigError naming the variable. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  overrides: Partial<Record<ConfigKey, string>> = {},
): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS) as [ConfigKey, Setting<unknown>][]) {
    const raw = overrides[key] ?? env[setting.env];
    if (raw === undefined || raw === "") {
      out[key] = setting.default;
      continue;
    }
    try {
      out[key] = setting.parse(raw.trim());
    } catch (err) {
      // A secret's value is never echoed back (it would land in logs).
      const shown = SECRET_SETTINGS.has(key) ? "" : `=${JSON.stringify(raw)}`;
      throw new ConfigError(`${setting.env}${shown}: ${(err as Error).message}`);
    }
  }
  return Object.freeze(out) as Config;
}

/** Rows for `tally config`: every setting, its variable, default, current value and description. */
export function describeConfig(
  config: Config,
): { key: string; env: string; default: string; value: string; description: string }[] {
  const secret = SECRET_SETTINGS;
  return (Object.entries(SETTINGS) as [ConfigKey, Setting<unknown>][]).map(([key, s]) => ({
    key,
    env: s.env,
    default: s.default === null ? "(unset)" : String(s.default as string | number | boolean),
    value:
      config[key] === null
        ? "(unset)"
        : secret.has(key)
          ? "(set, hidden)"
          : String(config[key] as string | number | boolean | string[]),
    description: s.description,
  }));
}
