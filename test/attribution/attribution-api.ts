/**
 * Small helpers over the HTTP API for the attribution tests: import touches, send a
 * conversion, and read back one conversion's touches under a model.
 */
import { expect } from "vitest";
import type { createWorkspace } from "../helpers/server.js";

export type Ws = Awaited<ReturnType<typeof createWorkspace>>;

export const DAY = 86_400;
export const HOUR = 3_600;

export const MODELS = ["last_click", "first_click", "linear", "time_decay", "position_based"] as const;
export type Model = (typeof MODELS)[number];

export interface CreditedTouch {
  platform: string;
  campaign: string | null;
  ad: string | null;
  time: string;
  credit: number;
}

/** Imports touches through POST /v1/clicks or /v1/impressions; every one must be accepted. */
export async function importTouches(
  ws: Ws,
  kind: "clicks" | "impressions",
  touches: Record<string, unknown>[],
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < touches.length; i += 1000) {
    const res = await ws.api("POST", `/v1/${kind}`, { data: touches.slice(i, i + 1000) });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    for (const r of res.body.results as { status: string; id: string; error?: unknown }[]) {
      expect(r.status, JSON.stringify(r)).toBe("accepted");
      ids.push(r.id);
    }
  }
  return ids;
}

/** Sends one conversion; returns its id. */
export async function convert(ws: Ws, event: Record<string, unknown>): Promise<string> {
  const res = await ws.api("POST", "/v1/events", { data: [event] });
  expect(res.body.results[0].status, JSON.stringify(res.body)).toBe("accepted");
  return res.body.results[0].id as string;
}

/** Every conversion of the workspace under a model, following next_cursor. */
export async function conversions(
  ws: Ws,
  model: Model = "last_click",
): Promise<Map<string, { value: number | null; touches: CreditedTouch[] }>> {
  const out = new Map<string, { value: number | null; touches: CreditedTouch[] }>();
  let cursor: string | null = null;
  for (;;) {
    const res = await ws.api(
      "GET",
      `/v1/conversions?model=${model}&limit=1000${cursor ? `&cursor=${cursor}` : ""}`,
    );
    expect(res.status).toBe(200);
    for (const c of res.body.data as {
      id: string;
      value: number | null;
      attribution: { model: string; touches: CreditedTouch[] };
    }[]) {
      expect(c.attribution.model).toBe(model);
      out.set(c.id, { value: c.value, touches: c.attribution.touches });
    }
    cursor = res.body.next_cursor;
    if (!cursor) return out;
  }
}

/** One conversion's credited touches under a model. */
export async function touchesOf(ws: Ws, id: string, model: Model = "last_click"): Promise<CreditedTouch[]> {
  const c = (await conversions(ws, model)).get(id);
  expect(c, `conversion ${id}`).toBeDefined();
  return c!.touches;
}

export async function report(
  ws: Ws,
  model: Model,
  groupBy: "platform" | "campaign" | "ad" = "platform",
  range = "",
) {
  const res = await ws.api("GET", `/v1/reports/attribution?model=${model}&group_by=${groupBy}${range}`);
  expect(res.status).toBe(200);
  expect(res.body.model).toBe(model);
  return res.body as {
    rows: { key: string; conversions: number; value: number }[];
    unattributed: { conversions: number; value: number };
  };
}

export const iso = (seconds: number): string => new Date(seconds * 1000).toISOString();
