/**
 * The pipeline entry for touches that arrive on their own: imports (`POST /v1/clicks`,
 * `/v1/impressions`: validate → commit, a result per touch, answered like /v1/events) and a
 * tracking link's click (`GET /c/{id}`). PageView touches ride in their event's commit. Every
 * touch is recorded by one function of the commit core (commit/touches.ts) inside the store's
 * transaction, so each is kept once per touch_id and click id and counted once.
 */
import type { TouchInput } from "../domain/event.js";
import type { Workspace } from "../domain/workspace.js";
import type { Link, Store, TouchOutcome } from "../storage/storage.js";
import type { EventResult, IngestResponse } from "./ingest-pipeline.js";
import { validateTouch } from "./steps/touch.js";
import type { QualityEdge } from "../quality/input.js";
import type { QualitySettings } from "../quality/settings.js";

export interface TouchDeps {
  store: Pick<Store, "commitTouches">;
  limits: { maxTouchAgeDays: number; maxFutureMinutes: number };
  /** Traffic quality for a link's clicks: the edge, and the workspace's settings (absent: not judged). */
  quality?: { edge: QualityEdge; settingsOf: (workspaceId: string) => Promise<QualitySettings> };
  now?: () => number;
}

/** Who clicked, as the request shows it: judged for traffic quality, never stored plain. */
export interface ClickClient {
  ip: string | null;
  userAgent: string | null;
}

export interface TouchRequest {
  workspace: Workspace;
  kind: "click" | "impression";
  touches: unknown[];
}

export interface TouchPipeline {
  /** Validates and commits imported touches; durable when it resolves. */
  ingest(req: TouchRequest): Promise<IngestResponse>;
  /**
   * Records the click of a tracking link, with the click id its redirect hands out (the
   * landing page's PageView brings it back and adopts the click). Durable when it resolves;
   * the redirect does not wait for it.
   */
  linkClick(link: Link, clickId: string, client?: ClickClient): Promise<TouchOutcome>;
}

export function createTouchPipeline(deps: TouchDeps): TouchPipeline {
  const now = deps.now ?? Date.now;

  async function ingest(req: TouchRequest): Promise<IngestResponse> {
    const receivedAt = now();
    const ws = req.workspace;
    const results: EventResult[] = new Array<EventResult>(req.touches.length);
    const touches: TouchInput[] = [];
    const index: number[] = [];
    const ctx = {
      kind: req.kind,
      receivedAt,
      maxAgeDays: deps.limits.maxTouchAgeDays,
      maxFutureMinutes: deps.limits.maxFutureMinutes,
      defaultCountry: ws.defaultCountry,
    };
    req.touches.forEach((raw, i) => {
      const v = validateTouch(raw, ctx);
      if (v.ok) {
        touches.push(v.value);
        index.push(i);
      } else
        results[i] = {
          index: i,
          status: "rejected",
          error: { code: v.code, message: v.message, ...(v.field ? { field: v.field } : {}) },
        };
    });
    const outcomes = touches.length ? await deps.store.commitTouches(ws.id, touches, receivedAt, []) : [];
    let accepted = 0;
    outcomes.forEach((o, k) => {
      const i = index[k]!;
      if (o.status === "accepted") accepted++;
      results[i] = { index: i, status: o.status, id: o.id };
    });
    return {
      received: req.touches.length,
      accepted,
      duplicates: outcomes.length - accepted,
      rejected: req.touches.length - outcomes.length,
      results,
    };
  }

  async function linkClick(link: Link, clickId: string, client?: ClickClient): Promise<TouchOutcome> {
    const at = now();
    const q = deps.quality;
    const quality =
      q && client
        ? q.edge(await q.settingsOf(link.workspaceId), client.ip, client.userAgent, false)
        : undefined;
    const touch: TouchInput = {
      kind: "click",
      time: at,
      platform: link.platform,
      campaign: link.campaign,
      ad: link.ad,
      touchId: null,
      clickId: `click_id:${clickId}`,
      identifiers: [{ kind: "click_id", value: clickId }],
      ...(quality ? { quality } : {}),
    };
    const [outcome] = await deps.store.commitTouches(link.workspaceId, [touch], at, []);
    return outcome!;
  }

  return { ingest, linkClick };
}
