/**
 * `GET /v1/live` (the live feed's WebSocket) and `GET /v1/test-events`. Who may connect is
 * decided before the upgrade (`http/live-auth.ts`), so a refusal is a plain HTTP answer; the
 * feed itself (hub, connections, test-event ring) is `realtime/live.ts`, given as `deps.live`.
 */
import websocket from "@fastify/websocket";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { HttpError } from "../../domain/errors.js";
import type { LiveGrant } from "../../realtime/live.js";
import { clientKey } from "../client-address.js";
import type { AppDeps } from "../deps.js";
import { authorizeLive, LIVE_SUBPROTOCOL } from "../live-auth.js";
import { liveSchema, testEventsSchema } from "../schemas/live.js";

export async function liveRoutes(app: FastifyInstance, deps: AppDeps): Promise<void> {
  const live = deps.live;
  if (!live) return;
  const grants = new WeakMap<FastifyRequest, LiveGrant>();
  await app.register(websocket, {
    options: {
      maxPayload: 4096, // subscribers only listen
      handleProtocols: (protocols: Set<string>) =>
        protocols.has(LIVE_SUBPROTOCOL) ? LIVE_SUBPROTOCOL : false,
    },
  });
  app.route({
    method: "GET",
    url: "/v1/live",
    schema: liveSchema,
    preValidation: async (req) => {
      const grant = await authorizeLive(req, deps);
      // The slot is held until the TCP connection closes (upgrade completed or not).
      const release = live.reserve(grant.scope, clientKey(req.ip));
      req.raw.socket.once("close", release);
      grants.set(req, grant);
    },
    wsHandler: (socket, req) => {
      const grant = grants.get(req);
      if (grant === undefined) return socket.close(1011, "not ready");
      live.connect(socket, grant, req.raw.socket);
    },
    // A plain GET (no upgrade) that passed the key check.
    handler: () => {
      throw new HttpError("upgrade_required");
    },
  });
  app.get("/v1/test-events", { schema: testEventsSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    return { data: live.testEvents(ws.id) };
  });
}
