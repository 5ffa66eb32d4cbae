/**
 * GET /openapi.json: an OpenAPI 3.1 document generated from the schemas the routes validate
 * with. Every route Fastify registered is in it with a schema (a new route without one fails
 * here), every `$ref` resolves, every error answer is the shared Error object; and the schema
 * gate answers the contract's codes, after the key, without running the handler.
 */
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildServer, registeredRoutes } from "../../src/http/server.js";
import { SECRET, OPEN, responses } from "../../src/http/schemas/common.js";
import { batch } from "../../src/http/schemas/events.js";
import { ADMIN_TOKEN, client, createWorkspace, startInProcess } from "../helpers/server.js";
import { expectError } from "./expect-error.js";

type Tally = Awaited<ReturnType<typeof startInProcess>>;
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
type Operation = {
  summary?: string;
  security?: unknown[];
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
};

let tally: Tally;
let doc: Doc;

beforeAll(async () => {
  tally = await startInProcess();
  const res = await client(tally.url)("GET", "/openapi.json");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  doc = res.body as Doc;
});
afterAll(async () => {
  await tally?.cleanup();
});

/** Fastify's `/v1/destinations/:id` is OpenAPI's `/v1/destinations/{id}`. */
const openapiPath = (url: string) => url.replace(/:(\w+)/g, "{$1}").replace(/\*$/, "{*}");

describe("GET /openapi.json", () => {
  it("is an OpenAPI 3.1 document served without a key, with the error object as a component", () => {
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.info.title).toBe("Tally");
    expect(doc.components.schemas.Error).toMatchObject({ type: "object", required: ["error"] });
    expect(Object.keys(doc.components.securitySchemes).sort()).toEqual(
      ["adminToken", "dashboardSession", "liveToken", "publicKey", "secretKey"].sort(),
    );
  });

  it("has every route Fastify registered, and no other", () => {
    // Fastify adds a HEAD route for every GET; the document names the GET.
    const registered = registeredRoutes(tally.app)
      .filter((r) => r.method !== "HEAD")
      .map((r) => `${r.method} ${openapiPath(r.url)}`);
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    expect(registered.length).toBeGreaterThan(30);
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
  });

  it("every route has a schema: a summary, its tag, who may call it, and its answers", () => {
    const incomplete = registeredRoutes(tally.app)
      .filter((r) => r.method !== "HEAD")
      .filter(
        (r) =>
          !r.schema ||
          typeof r.schema.summary !== "string" ||
          !Array.isArray(r.schema.tags) ||
          !Array.isArray(r.schema.security) ||
          typeof r.schema.response !== "object",
      )
      .map((r) => `${r.method} ${r.url}`);
    expect(incomplete).toEqual([]);
  });

  it("every $ref resolves inside the document", () => {
    const refs: string[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === "object")
        for (const [k, x] of Object.entries(v)) {
          if (k === "$ref" && typeof x === "string") refs.push(x);
          else walk(x);
        }
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(20);
    const broken = refs.filter((r) => {
      const m = /^#\/components\/schemas\/(.+)$/.exec(r);
      return !m || !(m[1]! in doc.components.schemas);
    });
    expect(broken).toEqual([]);
  });

  it("every 4xx and 5xx answer of every operation is the Error object", () => {
    const wrong: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths))
      for (const [method, op] of Object.entries(ops))
        for (const [status, r] of Object.entries(op.responses))
          if (
            Number(status) >= 400 &&
            r.content?.["application/json"]?.schema?.$ref !== "#/components/schemas/Error"
          )
            wrong.push(`${method} ${path} ${status}`);
    expect(wrong).toEqual([]);
  });

  it("documents the batch limits the server was started with", async () => {
    const small = await startInProcess({ TALLY_MAX_BATCH: "5" });
    try {
      const d = (await client(small.url)("GET", "/openapi.json")).body as Doc;
      const body = (
        d.paths["/v1/events"]!.post as unknown as {
          requestBody: { content: { "application/json": { schema: { properties: { data: object } } } } };
        }
      ).requestBody.content["application/json"].schema.properties.data;
      expect(body).toMatchObject({ type: "array", minItems: 1, maxItems: 5, "x-batch": true });
    } finally {
      await small.cleanup();
    }
  });
});

describe("the schema gate", () => {
  let app: FastifyInstance;
  let key: string;
  const ran: unknown[] = [];

  beforeAll(async () => {
    key = (await createWorkspace(tally.url, ADMIN_TOKEN, "Gate")).secret_key;
    // The real app's parts, plus two routes whose handlers check nothing themselves: what
    // reaches them got through the schema.
    app = await buildServer(tally.deps, [
      (a, deps) => {
        a.post(
          "/test/gated",
          {
            schema: {
              summary: "test",
              tags: ["test"],
              security: SECRET,
              querystring: {
                type: "object",
                properties: { mode: { type: "string", enum: ["", "a", "b"] } },
              },
              body: {
                type: "object",
                required: ["name"],
                additionalProperties: false,
                properties: {
                  name: { type: "string", minLength: 1, maxLength: 10 },
                  tags: { type: "array", items: { type: "string" } },
                  data: batch("Event", 3, "events"),
                  nested: { type: "object", properties: { n: { type: "integer", minimum: 0 } } },
                },
              },
              response: responses({ 200: { type: "object", description: "ok" } }, []),
            },
          },
          async (req) => {
            await deps.auth.workspace(req);
            ran.push(req.body);
            return { ok: true };
          },
        );
        a.post(
          "/test/open",
          {
            schema: {
              summary: "test",
              tags: ["test"],
              security: OPEN,
              body: { type: "object", required: ["name"], properties: { name: { type: "string" } } },
              response: {},
            },
          },
          (req) => {
            ran.push(req.body);
            return { ok: true };
          },
        );
      },
    ]);
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
  });

  async function post(path: string, body: unknown, withKey = true) {
    const res = await app.inject({
      method: "POST",
      url: path,
      headers: {
        "content-type": "application/json",
        ...(withKey ? { authorization: `Bearer ${key}` } : {}),
      },
      payload: typeof body === "string" ? body : JSON.stringify(body),
    });
    type ErrorJson = { error: { code: string; details?: Record<string, unknown> } };
    return { status: res.statusCode, headers: new Headers(), body: res.json<ErrorJson>() };
  }

  it.each([
    ["a body that is not an object", [1], 400, "invalid_body", undefined],
    ["a missing field", {}, 422, "validation_failed", "name"],
    ["a field of the wrong type", { name: 5 }, 422, "validation_failed", "name"],
    ["an empty string", { name: "" }, 422, "validation_failed", "name"],
    ["an overlong string", { name: "x".repeat(11) }, 422, "validation_failed", "name"],
    ["an unknown field", { name: "a", colour: "red" }, 422, "validation_failed", "colour"],
    ["a bad list item (the list is named)", { name: "a", tags: ["x", 5] }, 422, "validation_failed", "tags"],
    ["a nested field", { name: "a", nested: { n: -1 } }, 422, "validation_failed", "nested.n"],
    ["a batch that is not a list", { name: "a", data: {} }, 400, "invalid_body", "data"],
    ["an empty batch", { name: "a", data: [] }, 422, "empty_batch", "data"],
  ])("%s: %i %s naming the field, and the handler does not run", async (_why, body, status, code, field) => {
    ran.length = 0;
    const res = await post("/test/gated", body);
    expectError(res, status, code);
    expect(res.body.error.details?.field).toBe(field);
    expect(ran).toEqual([]);
  });

  it("a batch over the limit is 413 batch_too_large with the limit", async () => {
    const res = await post("/test/gated", { name: "a", data: [{}, {}, {}, {}] });
    expectError(res, 413, "batch_too_large");
    expect(res.body.error.details).toEqual({ limit: 3, received: 4 });
  });

  it("the items of a batch are not the schema's business: bad ones reach the handler", async () => {
    ran.length = 0;
    const res = await post("/test/gated", { name: "a", data: [{ event_name: 5 }, "junk", null] });
    expect(res.status).toBe(200);
    expect(ran).toHaveLength(1);
  });

  it("the key is checked first: no key is 401 and an unknown one 401, whatever the body", async () => {
    ran.length = 0;
    expectError(await post("/test/gated", { name: 5 }, false), 401, "missing_key");
    const res = await app.inject({
      method: "POST",
      url: "/test/gated",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer sk_unknown_unknown_unknown_unknown",
      },
      payload: "{}",
    });
    expect(res.statusCode).toBe(401);
    expect(ran).toEqual([]);
  });

  it("a query parameter out of its enum, or repeated, is 400 invalid_query naming it", async () => {
    for (const qs of ["mode=c", "mode=a&mode=b"]) {
      const res = await app.inject({
        method: "POST",
        url: `/test/gated?${qs}`,
        headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
        payload: JSON.stringify({ name: "a" }),
      });
      expectError({ status: res.statusCode, headers: new Headers(), body: res.json() }, 400, "invalid_query");
      expect(res.json<{ error: { details: unknown } }>().error.details).toEqual({ field: "mode" });
    }
  });

  it("a route without a key answers a schema failure at once", async () => {
    ran.length = 0;
    const res = await post("/test/open", { name: 1 }, false);
    expectError(res, 422, "validation_failed");
    expect(ran).toEqual([]);
    expect((await post("/test/open", { name: "x" }, false)).status).toBe(200);
  });
});
