import { describe, expect, it } from "vitest";
import type { HttpAnswer } from "../types.js";
import { classifyMetaResponse } from "./meta-classify.js";

const res = (
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): HttpAnswer & { kind: "response" } => ({
  kind: "response",
  status,
  headers,
  text: typeof body === "string" ? body : JSON.stringify(body),
});
const graph = (code: number, extra: Record<string, unknown> = {}) => ({
  error: { message: "msg", type: "OAuthException", code, fbtrace_id: "x", ...extra },
});

describe("classifyMetaResponse", () => {
  it("takes a 200 for every event", () => {
    expect(classifyMetaResponse(res(200, { events_received: 2, messages: [] }), 2)).toEqual({
      kind: "rows",
      rows: [
        { status: "delivered", code: 200 },
        { status: "delivered", code: 200 },
      ],
    });
  });

  it.each([
    ["rate limit 4", res(400, graph(4))],
    ["rate limit 17", res(400, graph(17))],
    ["CAPI rate limit 80003", res(400, graph(80003))],
    ["is_transient", res(400, graph(100, { is_transient: true }))],
    ["unknown error 2", res(500, graph(2))],
    ["5xx without a body", res(502, "<html>bad gateway</html>")],
    ["429", res(429, "")],
  ])("retries %s", (_name, r) => {
    expect(classifyMetaResponse(r, 3).kind).toBe("retry");
  });

  it("honours Retry-After", () => {
    expect(classifyMetaResponse(res(400, graph(17), { "retry-after": "30" }), 1, 0)).toMatchObject({
      kind: "retry",
      retryAfterMs: 30_000,
    });
  });

  it.each([
    ["invalid parameter (one event may be at fault)", res(400, graph(100, { error_subcode: 2804003 })), true],
    ["expired token", res(400, graph(190, { error_subcode: 463 })), false],
    ["permission", res(403, graph(200)), false],
    ["401 without a Graph body", res(401, "no"), false],
  ])("fails for good: %s (isolate %s)", (_name, r, isolate) => {
    expect(classifyMetaResponse(r, 3)).toMatchObject({ kind: "failed", isolate });
  });

  it("names Meta's code and message in the error", () => {
    const out = classifyMetaResponse(
      res(
        400,
        graph(100, {
          error_subcode: 2804003,
          error_user_msg: "The timestamp for this event is too far in the past.",
        }),
      ),
      1,
    );
    expect(out).toMatchObject({
      error: "Meta error 100/2804003: The timestamp for this event is too far in the past.",
    });
  });
});
