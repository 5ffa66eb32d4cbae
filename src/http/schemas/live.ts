/** The live feed (WebSocket), the test-events view, and the dashboard's files. */
import type { FastifySchema } from "fastify";
import { ISO_OUT, OPEN, SECRET, SECRET_ERRORS, errorResponses, responses } from "./common.js";

export const liveSchema: FastifySchema = {
  summary: "Live feed (WebSocket)",
  description:
    'Upgrade to a WebSocket (`Connection: Upgrade`). Messages are JSON `{"type": "conversion" | ' +
    '"test_event" | "metrics" | "alert", "data": {…}}`; `metrics` arrives every second. ' +
    "Authorized by the secret key (`?token=`, `Sec-WebSocket-Protocol: tally, <key>` answered " +
    "with `tally`, or `Authorization`), or by the admin / a dashboard session with `?workspace=`.",
  tags: ["live"],
  security: [{ liveToken: [] }, { secretKey: [] }, { adminToken: [] }, { dashboardSession: [] }],
  querystring: {
    type: "object",
    properties: {
      token: { type: "string", description: "The secret key (or the admin token)." },
      workspace: {
        type: "string",
        description: "For the admin or a session: the workspace to watch, or `*` for every one.",
      },
    },
  },
  response: {
    101: { type: "null", description: "Switching protocols: the feed." },
    ...errorResponses([...SECRET_ERRORS, "invalid_query", "upgrade_required"]),
  },
};

export const testEventsSchema: FastifySchema = {
  summary: "Recent test and rejected events",
  description: "The last hour of test events and rejected events of the workspace, newest first.",
  tags: ["live"],
  security: SECRET,
  response: responses(
    {
      200: {
        description: "The events.",
        type: "object",
        properties: {
          data: {
            type: "array",
            items: {
              type: "object",
              properties: { received_at: ISO_OUT, event_name: { type: "string" } },
            },
          },
        },
      },
    },
    SECRET_ERRORS,
  ),
};

function file(summary: string, type: string): FastifySchema {
  return {
    summary,
    tags: ["dashboard"],
    security: OPEN,
    response: {
      200: { description: "The file.", content: { [type]: { schema: { type: "string" } } } },
      304: { type: "null", description: "Not modified (`If-None-Match`)." },
      ...errorResponses(["not_found"]),
    },
  };
}

export const dashboardPageSchema: FastifySchema = file("The dashboard", "text/html");
export const dashboardRouteSchema: FastifySchema = {
  ...file("A dashboard page (client-side route)", "text/html"),
  params: { type: "object", properties: { "*": { type: "string" } } },
};
export const dashboardScriptSchema: FastifySchema = file("The dashboard's script", "text/javascript");
export const dashboardStyleSchema: FastifySchema = file("The dashboard's styles", "text/css");
