/**
 * Wires the schemas into Fastify: Ajv as the validator compiler, response schemas as
 * documentation only (answers are serialized as the handlers build them), and the order of
 * checks the contract's callers see.
 *
 * Order: a body that cannot be parsed (400/413/415) is answered first, as before; then the
 * caller's key, then the schema. A route that declares a key in `security` gets the schema's
 * verdict only after that key has been checked exactly as the handler checks it, so a request
 * without a key is still `401` whatever its body, and a public-key request from a refused
 * origin still `403`. Routes with `security: []` answer a schema failure at once.
 */
import { browserOrigin } from "../origin.js";
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from "fastify";
import { HttpError } from "../../domain/errors.js";
import type { Auth } from "../auth.js";
import { query } from "../params.js";
import { schemaError, type SchemaValidator, type ValidationFailure } from "./validator.js";

export interface RegisteredRoute {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

type Before = (req: FastifyRequest, reply: FastifyReply, failure: ValidationFailure) => Promise<unknown>;

/** The check a route's declared security stands for, run before a schema failure is answered. */
function beforeSchema(security: unknown, auth: Auth): Before | null {
  const names = Array.isArray(security)
    ? security.flatMap((r) => (r && typeof r === "object" ? Object.keys(r as object) : []))
    : [];
  if (names.includes("secretKey")) return (req) => auth.workspace(req);
  if (names.includes("adminToken")) return (req) => auth.admin(req);
  if (names.includes("publicKey")) return (req, reply, failure) => publicKeyFirst(req, reply, failure, auth);
  return null;
}

/**
 * Browser collection checks a body that is not an object first, then a repeated query
 * parameter, the public key (query `k` or body `k`) and the page's origin; CORS headers go on
 * its errors so the page can read them.
 */
async function publicKeyFirst(
  req: FastifyRequest,
  reply: FastifyReply,
  failure: ValidationFailure,
  auth: Auth,
): Promise<void> {
  if (failure.validationContext === "body" && failure.validation[0]?.instancePath === "") return;
  const origin = req.headers.origin;
  const echoed = browserOrigin(origin);
  if (req.method === "POST" && echoed)
    void reply.header("access-control-allow-origin", echoed).header("vary", "Origin");
  const q = query(req.query);
  const body = req.body as Record<string, unknown> | null | undefined;
  const key = q.k ?? (typeof body?.k === "string" ? body.k : null);
  const ws = await auth.publicKey(key, req.ip);
  if (req.method === "POST" && origin && ws.allowedOrigins.length > 0 && !ws.allowedOrigins.includes(origin))
    throw new HttpError(
      "origin_not_allowed",
      `The origin ${origin.slice(0, 100)} is not in this workspace's allowed_origins.`,
    );
}

/**
 * Installs the validator, the documentation-only serializer and the onRoute hook that records
 * every route (for the "every route is documented" test) and defers schema failures past the
 * key check. Call before any route is registered.
 */
export function installSchemaGate(
  app: FastifyInstance,
  auth: Auth,
  validator: SchemaValidator,
): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  app.setValidatorCompiler(({ schema }) => validator.compile(schema as Record<string, unknown>));
  // Response schemas document the answers; serializing through them would drop undocumented
  // fields and coerce types, so answers stay exactly what the handlers build.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.addHook("onRoute", (route: RouteOptions & { websocket?: boolean; wsHandler?: unknown }) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const schema = route.schema as Record<string, unknown> | undefined;
    for (const method of methods) routes.push({ method, url: route.url, schema });
    // The live feed checks its key in preValidation already, before the schema runs.
    if (!schema || route.websocket === true || route.wsHandler !== undefined) return;
    const before = beforeSchema(schema.security, auth);
    if (!before) return;
    route.attachValidation = true;
    const handler = route.handler;
    route.handler = async function gated(this: FastifyInstance, req, reply) {
      const failure = req.validationError as unknown as ValidationFailure | undefined;
      if (failure) {
        await before(req, reply, failure);
        throw schemaError(failure);
      }
      return handler.call(this, req, reply);
    };
  });
  return routes;
}
