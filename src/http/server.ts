/**
 * buildServer(deps): the Fastify app with every route, the body parser, auth and the error
 * mapping — without listening, so tests can `inject()` and main.ts can `listen()`.
 */
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyReply,
  type FastifyInstance,
} from "fastify";
import { STATUS_CODES, createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import type { ERRORS } from "../domain/errors.js";
import { HttpError } from "../domain/errors.js";
import type { AppDeps } from "./deps.js";
import { parseJsonBody } from "./body.js";
import { registerClientLimit } from "./client-limit.js";
import { healthRoutes } from "./routes/health.js";
import { workspaceRoutes } from "./routes/workspaces.js";
import { eventRoutes } from "./routes/events.js";
import { collectRoutes } from "./routes/collect.js";
import { conversionRoutes } from "./routes/conversions.js";
import { qualityRoutes } from "./routes/quality.js";
import { experimentRoutes } from "./routes/experiments.js";
import { reconciliationRoutes } from "./routes/reconciliation.js";
import { linkRoutes } from "./routes/links.js";
import { touchRoutes } from "./routes/touches.js";
import { metricsRoutes } from "./routes/metrics.js";
import { erasureRoutes } from "./routes/erasure.js";
import { erasureLogRoutes } from "./routes/erasures.js";
import { sessionRoutes } from "./routes/session.js";
import { keyRoutes } from "./routes/keys.js";
import { destinationRoutes } from "./routes/destinations.js";
import { liveRoutes } from "./routes/live.js";
import { dashboardRoutes } from "./routes/dashboard.js";
import { alertRoutes } from "./routes/alerts.js";
import { ledgerRoutes } from "./routes/ledger.js";
import { installSchemaGate, type RegisteredRoute } from "./schemas/gate.js";
import { SHARED_SCHEMAS, registerOpenApi } from "./schemas/index.js";
import { createSchemaValidator, isValidationFailure, schemaError } from "./schemas/validator.js";

export type RoutePlugin = (app: FastifyInstance, deps: AppDeps) => void | Promise<void>;

const registered = new WeakMap<FastifyInstance, readonly RegisteredRoute[]>();

/** Every route the app registered (method, url, schema), for the OpenAPI completeness test. */
export function registeredRoutes(app: FastifyInstance): readonly RegisteredRoute[] {
  return registered.get(app) ?? [];
}

export async function buildServer(deps: AppDeps, extra: RoutePlugin[] = []): Promise<FastifyInstance> {
  const { config } = deps;
  // Routes are typed against Fastify's base logger; pino's Logger is one.
  const loggerInstance: FastifyBaseLogger = deps.logger;
  const app = Fastify({
    loggerInstance,
    logController: new LogController({ disableRequestLogging: true }),
    // One logger for every request: a pino child per request costs on the hot path, and
    // requests are not logged one by one anyway.
    childLoggerFactory: (logger) => logger,
    bodyLimit: config.bodyLimitBytes,
    keepAliveTimeout: config.keepAliveTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // X-Forwarded-For/-Proto are believed only from the configured proxies (TALLY_TRUST_PROXY).
    trustProxy: config.trustProxy ?? false,
    // We answer requests that arrive during shutdown ourselves, with the contract's error object.
    return503OnClosing: false,
    forceCloseConnections: "idle",
    // What Node's HTTP parser refuses (a bad request line or header, headers over the limit)
    // gets the contract's error object too, not Fastify's own shape.
    clientErrorHandler: clientError,
    // Errors the router raises before any route runs, in the contract's shape. Path segments
    // up to 500 characters reach the routes, which answer 404 or 422 for ids and names that
    // cannot exist; only longer ones stop at the router.
    routerOptions: { maxParamLength: 500 },
    frameworkErrors: (err, _req, res) => {
      const reply = res as FastifyReply;
      const e =
        err.code === "FST_ERR_MAX_PARAM_LENGTH"
          ? new HttpError("not_found", "Nothing is here: a path segment is longer than any id or name.")
          : new HttpError("malformed_request", "The URL is not valid: it has a bad %-escape.");
      void reply.code(e.status).send(e.toBody());
    },
    // Node checks header/request timeouts on this interval (30 s by default): check every
    // second so a slowloris client is cut off close to the configured time.
    serverFactory: (handler) =>
      createServer(
        {
          headersTimeout: config.headersTimeoutMs,
          requestTimeout: config.requestTimeoutMs,
          connectionsCheckingInterval: 1000,
          keepAliveTimeout: config.keepAliveTimeoutMs,
        },
        (req: IncomingMessage, res: ServerResponse) => handler(req, res),
      ),
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser(["application/json", "text/plain"], { parseAs: "buffer" }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as Buffer, config.maxJsonDepth));
    } catch (err) {
      done(err as Error, undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | HttpError, req, reply) => {
    if (err instanceof HttpError) {
      if (err.headers) void reply.headers(err.headers);
      return reply.code(err.status).send(err.toBody());
    }
    if (isValidationFailure(err)) {
      const e = schemaError(err);
      return reply.code(e.status).send(e.toBody());
    }
    const fe = err;
    const mapped = fastifyErrorCode(fe);
    if (mapped) {
      const e = new HttpError(mapped);
      return reply.code(e.status).send(e.toBody());
    }
    if ((fe as { storeUnavailable?: boolean }).storeUnavailable === true) {
      deps.readiness.markDown(fe);
      const e = new HttpError("not_ready", undefined, undefined, { "retry-after": "1" });
      return reply.code(503).header("retry-after", "1").send(e.toBody());
    }
    req.log.error({ err: { message: fe.message, stack: fe.stack, code: fe.code } }, "unhandled error");
    return reply.code(500).send(new HttpError("internal_error").toBody());
  });

  app.addHook("onRequest", (_req, reply, done) => {
    if (!deps.readiness.closing) return done();
    const e = new HttpError(
      "not_ready",
      "This node is shutting down; retry after the time in `Retry-After`.",
    );
    void reply.code(503).header("retry-after", "1").header("connection", "close").send(e.toBody());
  });

  registerClientLimit(app, deps.clientLimiter ?? null);

  app.setNotFoundHandler((req, reply) => {
    const e = new HttpError(
      "route_not_found",
      `No endpoint ${req.method} ${req.url.split("?")[0]!.slice(0, 200)}.`,
    );
    return reply.code(404).send(e.toBody());
  });

  // Before any route: every route is recorded, validated by its schema and documented.
  registered.set(app, installSchemaGate(app, deps.auth, createSchemaValidator(SHARED_SCHEMAS)));
  await registerOpenApi(app);

  const plugins: RoutePlugin[] = [
    healthRoutes,
    sessionRoutes,
    workspaceRoutes,
    keyRoutes,
    eventRoutes,
    collectRoutes,
    conversionRoutes,
    qualityRoutes,
    ledgerRoutes,
    alertRoutes,
    experimentRoutes,
    reconciliationRoutes,
    linkRoutes,
    touchRoutes,
    metricsRoutes,
    erasureRoutes,
    erasureLogRoutes,
    destinationRoutes, // when deps.destinations is given
    liveRoutes, // when deps.live is given
    dashboardRoutes,
  ];
  for (const p of [...plugins, ...extra]) await p(app, deps);
  return app;
}

function clientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || socket.destroyed) return;
  const e = new HttpError(
    err.code === "ERR_HTTP_REQUEST_TIMEOUT"
      ? "request_timeout"
      : err.code === "HPE_HEADER_OVERFLOW"
        ? "headers_too_large"
        : "malformed_request",
  );
  const body = JSON.stringify(e.toBody());
  if (socket.writable)
    socket.write(
      `HTTP/1.1 ${e.status} ${STATUS_CODES[e.status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  socket.destroy(err);
}

function fastifyErrorCode(err: FastifyError): keyof typeof ERRORS | null {
  switch (err.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return "body_too_large";
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
    case "FST_ERR_CTP_INVALID_TYPE":
      return "unsupported_media_type";
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return "invalid_json";
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return "invalid_body";
    case "FST_ERR_VALIDATION":
      return "invalid_body";
    case "FST_ERR_BAD_URL":
    case "FST_ERR_ASYNC_CONSTRAINT":
      return "invalid_query";
  }
  if (typeof err.statusCode === "number" && err.statusCode >= 400 && err.statusCode < 500) {
    if (err.statusCode === 413) return "body_too_large";
    if (err.statusCode === 415) return "unsupported_media_type";
    if (err.statusCode === 408) return "request_timeout";
    return "invalid_body";
  }
  return null;
}
