/**
 * The CLI's HTTP client of a running Tally server (`tally import`, `tally simulate`). It
 * retries what a retry can fix — a refused or reset connection, 429 and 503 (honouring
 * `Retry-After`), other 5xx — and turns everything else into an error that names the
 * server's error code, so commands can tell "unreachable" and "key refused" apart.
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined = undefined,
  ) {
    super(message);
  }
}

/** 401/403: the key is unknown, or not allowed on this endpoint. */
export class KeyRefusedError extends ApiError {}

/** No HTTP answer at all (connection refused, DNS, reset), after the retries. */
export class UnreachableError extends Error {}

export interface ApiClientOptions {
  baseUrl: string;
  /** Sent as `Authorization: Bearer …`. */
  key: string;
  /** Extra headers on every request (e.g. `X-Tally-Workspace` for the admin token). */
  headers?: Record<string, string>;
  /** Attempts after the first one for connection errors and 5xx. */
  retries?: number;
  /** Longest wait honoured from a `Retry-After`. */
  maxRetryAfterMs?: number;
  /** Told each time the server asks to come back later (429/503) and how long the client waits. */
  onThrottled?: (status: number, waitMs: number) => void;
}

export interface RequestOptions {
  /** Overrides the client's retries (0: fail fast, e.g. for the first call of a command). */
  retries?: number;
  contentType?: string;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function causeOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message;
}

export class ApiClient {
  readonly baseUrl: string;
  private readonly retries: number;
  private readonly maxRetryAfterMs: number;

  constructor(private readonly opts: ApiClientOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.retries = opts.retries ?? 4;
    this.maxRetryAfterMs = opts.maxRetryAfterMs ?? 30_000;
  }

  /** The parsed JSON answer of a 2xx (null for an empty body); throws ApiError otherwise. */
  async request<T = unknown>(
    method: string,
    path: string,
    body?: unknown,
    ro: RequestOptions = {},
  ): Promise<T> {
    const retries = ro.retries ?? this.retries;
    // 429 and 503 say when to come back: those waits do not use up the retries for failures.
    let throttled = 0;
    for (let attempt = 0; ;) {
      let res: Response;
      try {
        // eslint-disable-next-line no-restricted-globals -- the CLI is an HTTP client of the server
        res = await fetch(this.baseUrl + path, {
          method,
          headers: {
            authorization: `Bearer ${this.opts.key}`,
            ...(body !== undefined ? { "content-type": ro.contentType ?? "application/json" } : {}),
            ...this.opts.headers,
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        if (attempt++ < retries) {
          await sleep(250 * 2 ** attempt);
          continue;
        }
        throw new UnreachableError(`cannot reach the Tally server at ${this.baseUrl} (${causeOf(err)})`);
      }
      const text = await res.text();
      if (res.ok) return (text ? JSON.parse(text) : null) as T;

      let code = "http_" + String(res.status);
      let message = `${method} ${path} answered ${res.status}`;
      let details: Record<string, unknown> | undefined;
      try {
        const e = (
          JSON.parse(text) as {
            error?: { code?: string; message?: string; details?: Record<string, unknown> };
          }
        ).error;
        if (e?.code) code = e.code;
        if (e?.message) message = e.message;
        details = e?.details;
      } catch {
        // not a Tally error body (a proxy's page, say): keep the status line
      }
      if ((res.status === 429 || res.status === 503) && throttled++ < 20) {
        const after = Number(res.headers.get("retry-after"));
        const wait = Math.min(
          this.maxRetryAfterMs,
          Number.isFinite(after) && after > 0 ? after * 1000 : 1000,
        );
        this.opts.onThrottled?.(res.status, wait);
        await sleep(wait);
        continue;
      }
      if (res.status >= 500 && attempt++ < retries) {
        await sleep(250 * 2 ** attempt);
        continue;
      }
      if (res.status === 401 || res.status === 403)
        throw new KeyRefusedError(res.status, code, message, details);
      throw new ApiError(res.status, code, message, details);
    }
  }
}

/** `--url`, else `TALLY_URL`, else the address `tally serve` listens on with these settings. */
export function serverUrl(
  flag: string | undefined,
  env: Record<string, string | undefined>,
  config: { host: string; port: number },
): string {
  if (flag) return flag;
  if (env.TALLY_URL) return env.TALLY_URL;
  const host = config.host === "0.0.0.0" || config.host === "::" ? "127.0.0.1" : config.host;
  return `http://${host.includes(":") ? `[${host}]` : host}:${config.port}`;
}

/**
 * Exit codes shared by the commands that talk to a server: 3 unreachable, 4 key refused,
 * 1 any other failure. Prints why; returns null for errors that are not about the server.
 */
export function failureExitCode(err: unknown, print: (line: string) => void): number | null {
  if (err instanceof UnreachableError) {
    print(`tally: ${err.message}. Is \`tally serve\` running there? (--url sets the address)`);
    return 3;
  }
  if (err instanceof KeyRefusedError) {
    print(`tally: the server refused the key (${err.status} ${err.code}): ${err.message}`);
    return 4;
  }
  if (err instanceof ApiError) {
    print(`tally: the server answered ${err.status} ${err.code}: ${err.message}`);
    return 1;
  }
  return null;
}
