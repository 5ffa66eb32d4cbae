/**
 * Hostile HTTP for the property-based tests: fast-check arbitraries that draw requests from
 * the OpenAPI document (its operations, parameters and body schemas) and from far outside it
 * (hostile values, broken bytes, wrong content types, duplicate headers, bad percent-escapes,
 * keys of every shape), a sender on a real loopback socket, and the contract check every
 * answer must pass.
 */
import fc from "fast-check";
import { request, type Agent } from "node:http";
import { connect } from "node:net";

export interface Operation {
  method: string;
  /** OpenAPI path, with `{param}`s. */
  path: string;
  params: { name: string; in: string; schema: Schema }[];
  body: Schema | null;
  /** Whether its 2xx answers are JSON. */
  json: boolean;
}

type Schema = Record<string, unknown>;
type Doc = {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
};

/** Every operation of the document. */
export function operationsOf(doc: Doc): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(doc.paths))
    for (const [method, op] of Object.entries(byMethod)) {
      const params = ((op.parameters ?? []) as { name: string; in: string; schema: Schema }[]).map((p) => ({
        name: p.name,
        in: p.in,
        schema: p.schema ?? {},
      }));
      const content = (op.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)
        ?.content;
      const responses = (op.responses ?? {}) as Record<string, { content?: Record<string, unknown> }>;
      const json = Object.entries(responses).some(
        ([s, r]) => s.startsWith("2") && r.content !== undefined && "application/json" in r.content,
      );
      ops.push({
        method: method.toUpperCase(),
        path,
        params,
        body: content?.["application/json"]?.schema ?? null,
        json,
      });
    }
  return ops;
}

// ---------------------------------------------------------------- values

const NASTY_STRINGS = [
  "",
  " ",
  "\u0000",
  "a\u0000b",
  "\r\n",
  "line\r\nInjected: header",
  "\u2028\u2029",
  "\ud800",
  "\udfff",
  "\uffff",
  "\ufeff",
  "%",
  "%zz",
  "%E0%A4%A",
  "%C0%AF",
  "../../../etc/passwd",
  "<script>alert(1)</script>",
  "' OR 1=1 --",
  "${jndi:ldap://127.0.0.1/x}",
  "__proto__",
  "constructor",
  "\u202egnp.exe",
  "😀👍🏽",
  "null",
  "NaN",
  "Infinity",
  "-0",
  "1e999",
  "0x10",
  "2026-13-45T99:99:99Z",
  "+033658-09-27T01:46:40Z",
  "pk_" + "A".repeat(20),
  "sk_" + "A".repeat(40),
  "lnk_00000000000000000000000000",
  "PageView",
  "Purchase",
  "99999999999999999999999999999999",
  "1764426811.5",
  // Cursors (base64url JSON) that are well-formed but hold what no cursor holds.
  Buffer.from('[1e308,"evt_x"]').toString("base64url"),
  Buffer.from('[1.5,"evt_x"]').toString("base64url"),
  Buffer.from('[1,"a\\u0000b"]').toString("base64url"),
  "ws_00000000000000000000000000",
];

export const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.integer({ min: 257, max: 40_000 }), fc.constantFrom("x", "é", "😀", "\u0000", "%"))
      .map(([n, c]) => c.repeat(n)),
  },
);

export const nastyNumber: fc.Arbitrary<number> = fc.oneof(
  fc.constantFrom(
    1e308,
    -1e308,
    Number.MAX_SAFE_INTEGER + 2,
    -Number.MAX_SAFE_INTEGER - 2,
    -0,
    5e-324,
    0.1,
    -1,
    2 ** 31,
    2 ** 63,
    1e21,
    1764426811,
    1764426811123,
  ),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** An object with a `__proto__` (or `constructor.prototype`) of its own, as JSON.parse makes it. */
const pollution: fc.Arbitrary<unknown> = fc.constantFrom(
  JSON.parse('{"__proto__": {"polluted": true, "admin": true}}') as unknown,
  JSON.parse('{"constructor": {"prototype": {"polluted": true}}}') as unknown,
  JSON.parse('{"prototype": 1, "__proto__": null}') as unknown,
);

const deep: fc.Arbitrary<unknown> = fc
  .tuple(fc.integer({ min: 4, max: 120 }), fc.boolean())
  .map(([depth, arrays]) => {
    let v: unknown = 1;
    for (let i = 0; i < depth; i++) v = arrays ? [v] : { a: v };
    return v;
  });

export const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: nastyString },
  { weight: 2, arbitrary: nastyNumber },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false, [], {}) },
  { weight: 1, arbitrary: pollution },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/**
 * Values shaped by a JSON schema of the document, each node sometimes replaced by a hostile
 * one, so requests reach past the first check into the handlers.
 */
export function fromSchema(
  schema: Schema,
  components: Record<string, Schema>,
  depth = 0,
): fc.Arbitrary<unknown> {
  const ref = schema.$ref;
  if (typeof ref === "string") {
    const target = components[ref.replace("#/components/schemas/", "")];
    return target ? fromSchema(target, components, depth) : fc.jsonValue({ maxDepth: 2 });
  }
  const shaped = shapedBy(schema, components, depth);
  return fc.oneof({ weight: 4, arbitrary: shaped }, { weight: 1, arbitrary: nastyValue });
}

function shapedBy(schema: Schema, components: Record<string, Schema>, depth: number): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [];
  if (Array.isArray(schema.enum)) options.push(fc.constantFrom(...(schema.enum as unknown[])));
  if ("const" in schema) options.push(fc.constant(schema.const));
  if (Array.isArray(schema.examples) && schema.examples.length > 0)
    options.push(fc.constantFrom(...(schema.examples as unknown[])));
  if (options.length > 0 && !("properties" in schema)) return fc.oneof(...options);
  const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string | undefined];
  for (const t of types) {
    switch (t) {
      case "string":
        options.push(
          fc.string({
            minLength: Math.min(Number(schema.minLength ?? 0), 20),
            maxLength: Math.min(Number(schema.maxLength ?? 24), 24),
          }),
        );
        break;
      case "number":
        options.push(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }));
        break;
      case "integer":
        options.push(fc.integer({ min: -10, max: 2000 }));
        break;
      case "boolean":
        options.push(fc.boolean());
        break;
      case "null":
        options.push(fc.constant(null));
        break;
      case "array": {
        const items = (schema.items ?? {}) as Schema;
        const max = Math.min(Number(schema.maxItems ?? 4), depth > 1 ? 2 : 4);
        options.push(
          fc.array(depth > 3 ? fc.jsonValue({ maxDepth: 1 }) : fromSchema(items, components, depth + 1), {
            minLength: Math.min(Number(schema.minItems ?? 0), max),
            maxLength: max,
          }),
        );
        break;
      }
      case "object":
      case undefined: {
        const props = (schema.properties ?? {}) as Record<string, Schema>;
        if (Object.keys(props).length === 0 || depth > 3) {
          options.push(fc.jsonValue({ maxDepth: 2 }));
          break;
        }
        const model: Record<string, fc.Arbitrary<unknown>> = {};
        for (const [k, s] of Object.entries(props)) model[k] = fromSchema(s, components, depth + 1);
        const required = (schema.required ?? []) as string[];
        options.push(
          fc
            .tuple(
              fc.record(model, { requiredKeys: required.filter((k) => k in model) }),
              fc.option(
                fc.dictionary(fc.constantFrom("extra", "__proto__", "x-y", "k", ""), nastyValue, {
                  maxKeys: 2,
                }),
              ),
            )
            .map(([o, extra]) => (extra ? { ...extra, ...o } : o)),
        );
        break;
      }
    }
  }
  return options.length > 0 ? fc.oneof(...options) : fc.jsonValue({ maxDepth: 2 });
}

// ---------------------------------------------------------------- bodies

/** JSON text made hostile at the byte level. */
export function bodyBytes(value: fc.Arbitrary<unknown>): fc.Arbitrary<Buffer | null> {
  const json = value.map((v) => Buffer.from(JSON.stringify(v) ?? "null"));
  return fc.oneof(
    { weight: 8, arbitrary: json },
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(
          json,
          fc.constantFrom(
            Buffer.from([0xc3, 0x28]),
            Buffer.from([0xff, 0xfe]),
            Buffer.from([0xc0, 0xaf]),
            Buffer.from([0xed, 0xa0, 0x80]),
            Buffer.from([0xf4, 0x90, 0x80, 0x80]),
            Buffer.from([0]),
            Buffer.from("\ufeff"),
          ),
          fc.nat(),
        )
        .map(([b, bad, at]) => {
          const i = b.length === 0 ? 0 : at % b.length;
          return Buffer.concat([b.subarray(0, i), bad, b.subarray(i)]);
        }),
    },
    { weight: 1, arbitrary: fc.tuple(json, fc.nat()).map(([b, n]) => b.subarray(0, n % (b.length + 1))) },
    {
      weight: 2,
      arbitrary: fc
        .constantFrom(
          "",
          " ",
          "null",
          "[]",
          '"data"',
          "1e999",
          '{"data":[{"event_name":"Lead","event_time":1e999,"custom_data":{"value":-1e999}}]}',
          '{"data":[],"data":[{"event_name":"Lead"}]}',
          '{"data":[{"event_name":"Purchase","event_time":123456789012345678901234567890}]}',
          '{"name":"x","name":{"__proto__":{"a":1}}}',
          '{"events":[{"event_name":"PageView"}]}garbage',
          "[".repeat(5000) + "]".repeat(5000),
          '{"a":'.repeat(3000) + "1" + "}".repeat(3000),
          '{"token":"\\u0000"}',
          '{"data":["\\ud800"]}',
        )
        .map((s) => Buffer.from(s)),
    },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)) },
  );
}

// ---------------------------------------------------------------- keys, headers, URLs

export interface Keys {
  secret: string;
  public: string;
  admin: string;
  otherSecret: string;
}

export function keyArb(keys: Keys): fc.Arbitrary<string | null> {
  const chars = fc.constantFrom(..."ABCXYZabcxyz0189_-.~+/=%:".split(""));
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(keys.secret, keys.public, keys.admin, keys.otherSecret) },
    { weight: 1, arbitrary: fc.constant(null) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(fc.constantFrom("pk_", "sk_", "PK_", "", "adm_"), fc.string({ unit: chars, maxLength: 90 }))
        .map(([p, s]) => p + s),
    },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 8000 }).map((n) => "sk_" + "a".repeat(n)) },
    { weight: 1, arbitrary: nastyString },
  );
}

/** A header value Node's client will send: control characters and beyond-Latin-1 dropped. */
export const headerSafe = (s: string): string => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, "").slice(0, 6000);

/** Percent-encodes the UTF-8 bytes of `s` (a lone surrogate becomes U+FFFD, as on the wire). */
export function pct(s: string): string {
  let out = "";
  for (const b of Buffer.from(s, "utf8"))
    out += /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
      ? String.fromCharCode(b)
      : `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  return out;
}

/** Percent-encoding, or raw bad escapes, or nothing at all. */
export function urlPart(value: unknown): fc.Arbitrary<string> {
  const s = typeof value === "string" ? value : (JSON.stringify(value) ?? "");
  return fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constant(encodeURIComponent(headerSafe(s) === s ? s : s.replace(/[\ud800-\udfff]/g, ""))),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom("%", "%zz", "%E0%A4%A", "%C0%AF", "%00", "%ff%fe", "%25%", "a%2Fb"),
    },
    {
      weight: 1,
      arbitrary: fc.constant(
        headerSafe(s)
          .replace(/[\s#?&"<>\\^`{|}]/g, "")
          .replace(/[\x80-\xff]/g, ""),
      ),
    },
  );
}

// ---------------------------------------------------------------- sending and checking

export interface HostileRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
}

export interface HostileResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

/** Sends over a real loopback socket; null when the server closed the connection unanswered. */
export function send(port: number, r: HostileRequest, agent: Agent): Promise<HostileResponse | null> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: "127.0.0.1",
        port,
        method: r.method,
        path: r.path,
        headers: { ...r.headers, ...(r.body ? { "content-length": String(r.body.length) } : {}) },
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
        res.on("error", () => resolve(null));
      },
    );
    req.on("error", () => resolve(null));
    req.setTimeout(30_000, () => req.destroy());
    if (r.body) req.end(r.body);
    else req.end();
  });
}

/** Raw bytes on a fresh socket; the first response's status line, headers and body. */
export function sendRaw(port: number, bytes: Buffer): Promise<HostileResponse | null> {
  return new Promise((resolve) => {
    const s = connect(port, "127.0.0.1");
    let buf = Buffer.alloc(0);
    const done = () => {
      s.destroy();
      const end = buf.indexOf("\r\n\r\n");
      if (end < 0) return resolve(null);
      const head = buf.subarray(0, end).toString("latin1").split("\r\n");
      const headers: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(":");
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const len = Number(headers["content-length"] ?? buf.length - end - 4);
      resolve({
        status: Number(head[0]!.split(" ")[1]),
        headers,
        body: buf.subarray(end + 4, end + 4 + len),
      });
    };
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      const end = buf.indexOf("\r\n\r\n");
      if (end >= 0) {
        const m = /\r\ncontent-length:\s*(\d+)/i.exec(buf.subarray(0, end).toString("latin1"));
        if (m && buf.length >= end + 4 + Number(m[1])) done();
      }
    });
    s.on("error", () => undefined);
    s.on("close", done);
    s.setTimeout(15_000, () => s.destroy());
    s.write(bytes);
  });
}

const STACK = /\bat .*\.(?:ts|js|mjs):\d+|node_modules|\/src\//;

/**
 * What every answer must be: never a 5xx; a 4xx is the contract's error object (JSON,
 * `{"error": {"code", "message", "details"?}}` with a snake_case code, nothing else, no stack
 * trace); a JSON answer parses. Returns why it is not, or null.
 */
export function contractViolation(
  req: { method: string },
  res: HostileResponse,
  answersJson: boolean,
): string | null {
  if (res.status >= 500) return `a ${res.status}: ${res.body.toString("utf8").slice(0, 300)}`;
  const type = String(res.headers["content-type"] ?? "");
  if (req.method === "HEAD") return null;
  if (res.status >= 400) {
    if (!/^application\/json\b/.test(type)) return `a ${res.status} with content-type "${type}"`;
    let body: unknown;
    try {
      body = JSON.parse(res.body.toString("utf8"));
    } catch {
      return `a ${res.status} whose body is not JSON: ${res.body.toString("utf8").slice(0, 200)}`;
    }
    const b = body as { error?: Record<string, unknown> } | null;
    if (
      !b ||
      typeof b !== "object" ||
      Object.keys(b).join() !== "error" ||
      !b.error ||
      typeof b.error !== "object"
    )
      return `a ${res.status} that is not {"error": {…}}: ${JSON.stringify(body).slice(0, 200)}`;
    const e = b.error;
    if (typeof e.code !== "string" || !/^[a-z][a-z0-9_]*$/.test(e.code))
      return `a bad code: ${String(e.code)}`;
    if (typeof e.message !== "string" || e.message.length === 0) return `no message for ${e.code}`;
    if (Object.keys(e).some((k) => !["code", "message", "details"].includes(k)))
      return `unexpected keys in error: ${Object.keys(e).join(",")}`;
    if (
      e.details !== undefined &&
      (typeof e.details !== "object" || e.details === null || Array.isArray(e.details))
    )
      return `details is not an object: ${JSON.stringify(e.details)}`;
    if (STACK.test(res.body.toString("utf8")))
      return `a stack trace: ${res.body.toString("utf8").slice(0, 300)}`;
    return null;
  }
  if (res.status >= 200 && res.status < 300 && res.status !== 204 && answersJson) {
    if (!/^application\/json\b/.test(type)) return `a ${res.status} JSON answer with content-type "${type}"`;
    try {
      JSON.parse(res.body.toString("utf8"));
    } catch {
      return `a ${res.status} whose JSON body does not parse`;
    }
  }
  return null;
}
