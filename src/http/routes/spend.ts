/**
 * Spend (secret key): `POST /v1/spend` (rows answered one by one like events, durable before
 * the answer), spend sources (credentials sealed, URLs through the endpoint policy, never
 * answered back), and `GET /v1/reports/performance`.
 */
import { createHash } from "node:crypto";
import type { FastifyInstance } from "fastify";
import { DEFAULT_MODEL, GROUP_BYS, MODELS } from "../../attribution/index.js";
import type { EndpointPolicy } from "../../destinations/endpoint-policy.js";
import { HttpError } from "../../domain/errors.js";
import { newId } from "../../domain/ids.js";
import { isoTime } from "../../domain/time.js";
import type { EventResult } from "../../pipeline/ingest-pipeline.js";
import { performanceRows } from "../../performance/performance-rows.js";
import {
  isSpendSourceType,
  parseSourceConfig,
  publicSourceConfig,
  sourceUrls,
  SPEND_SOURCE_TYPES,
  type SpendSourceConfig,
} from "../../spend/source-config.js";
import type { SpendHub } from "../../spend/spend-hub.js";
import type { SpendSync, SyncOutcome } from "../../spend/spend-sync.js";
import { validateSpend } from "../../spend/validate-spend.js";
import { spendKeyOf, type SpendRecord, type SpendSourceRecord } from "../../storage/spend-store.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, enumParam, invalid, query, rangeParams, stringField } from "../params.js";
import { performanceReportSchema, postSpendSchema, spendSourceSchemas as s } from "../schemas/spend.js";
import { batchOf, ensureReady } from "./events.js";

const ID = /^src_[0-9a-z]{26}$/;
/** A workspace has at most this many spend sources. */
export const MAX_SPEND_SOURCES = 50;
const DEFAULT_INTERVAL_MINUTES = 60;

export interface SpendRouteDeps {
  hub: SpendHub;
  sync: SpendSync;
  policy: EndpointPolicy;
}

/** A stable id of a spend row's key, so an answer can name the row it replaced or stored. */
function rowId(r: SpendRecord): string {
  const { campaignKey, adKey } = spendKeyOf(r);
  const h = createHash("sha256")
    .update(JSON.stringify([r.workspaceId, r.date, r.platform, r.account, campaignKey, adKey]))
    .digest("base64url")
    .slice(0, 26)
    .toLowerCase();
  return `spd_${h}`;
}

export function sourceJson(r: SpendSourceRecord, config: SpendSourceConfig | null) {
  return {
    id: r.id,
    type: r.type,
    name: r.name,
    config: config ? publicSourceConfig(config) : null,
    interval_minutes: r.intervalMinutes,
    created_at: isoTime(r.createdAt),
    last_sync_at: r.lastSyncAt === null ? null : isoTime(r.lastSyncAt),
    last_error: r.lastError,
    last_rows: r.lastRows,
    next_sync_at: isoTime(r.nextSyncAt),
  };
}

function intervalOf(v: unknown): number {
  if (v === undefined || v === null) return DEFAULT_INTERVAL_MINUTES;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 5 || v > 1440)
    throw invalid("interval_minutes", "`interval_minutes` must be a whole number from 5 to 1440.");
  return v;
}

export function spendRoutes(app: FastifyInstance, deps: AppDeps, spend: SpendRouteDeps): void {
  app.post("/v1/spend", { schema: postSpendSchema(deps.config.maxBatch) }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const data = batchOf(bodyObject(req.body), "data", deps.config.maxBatch);
    ensureReady(deps);
    const now = Date.now();
    const ctx = { workspaceId: ws.id, currency: ws.currency, timezone: ws.timezone, now };
    const results = new Array<EventResult>(data.length);
    const rows: SpendRecord[] = [];
    data.forEach((raw, index) => {
      const v = validateSpend(raw, ctx);
      if (v.ok) {
        rows.push(v.value);
        results[index] = { index, status: "accepted", id: rowId(v.value) };
      } else
        results[index] = {
          index,
          status: "rejected",
          error: { code: v.code, message: v.message, ...(v.field ? { field: v.field } : {}) },
        };
    });
    if (rows.length > 0) {
      await deps.store.spend.upsert(rows, now);
      spend.hub.stored(ws.id, rows);
    }
    return {
      received: data.length,
      accepted: rows.length,
      duplicates: 0,
      rejected: data.length - rows.length,
      results,
    };
  });

  app.get("/v1/reports/performance", { schema: performanceReportSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to } = rangeParams(q);
    const model = enumParam(q, "model", MODELS, DEFAULT_MODEL);
    const groupBy = enumParam(q, "group_by", GROUP_BYS, "campaign");
    const daily = enumParam(q, "series", ["none", "day"] as const, "none") === "day";
    return performanceRows(deps.store, ws, { from, to, model, groupBy, daily });
  });

  async function owned(workspaceId: string, id: string): Promise<SpendSourceRecord> {
    const r = ID.test(id) ? await deps.store.spend.getSource(workspaceId, id) : null;
    if (!r) throw new HttpError("not_found", "No spend source with this id in this workspace.");
    return r;
  }

  app.post("/v1/spend-sources", { schema: s.create }, async (req, reply) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    for (const k of Object.keys(b))
      if (!["type", "name", "config", "interval_minutes"].includes(k))
        throw invalid(
          k,
          `\`${k}\` is not a spend source field; fields are type, name, config, interval_minutes.`,
        );
    if (!isSpendSourceType(b.type))
      throw invalid("type", `\`type\` must be one of ${SPEND_SOURCE_TYPES.join(", ")}.`);
    const type = b.type;
    const name = stringField(b, "name", { max: 200 }) || type;
    const interval = intervalOf(b.interval_minutes);
    const parsed = parseSourceConfig(type, b.config);
    if (!parsed.ok) throw invalid(parsed.field, parsed.message);
    for (const [key, url] of sourceUrls(parsed.config)) {
      const verdict = await spend.policy.check(url);
      if (!verdict.ok)
        throw new HttpError("endpoint_not_allowed", `\`config.${key}\` ${verdict.reason}`, {
          field: `config.${key}`,
        });
    }
    if ((await deps.store.spend.listSources(ws.id)).length >= MAX_SPEND_SOURCES)
      throw new HttpError(
        "limit_reached",
        `This workspace has ${MAX_SPEND_SOURCES} spend sources, the most it may have; delete one before creating another.`,
        { limit: MAX_SPEND_SOURCES },
      );
    const now = Date.now();
    const record = await deps.store.spend.createSource({
      id: newId("src"),
      workspaceId: ws.id,
      type,
      name,
      configEnc: deps.cipher.encrypt(JSON.stringify(parsed.config)),
      intervalMinutes: interval,
      createdAt: now,
      lastSyncAt: null,
      lastError: null,
      lastRows: null,
      // Due at once: the next round of the scheduler (on any node) pulls it.
      nextSyncAt: now,
    });
    return reply.code(201).send(sourceJson(record, parsed.config));
  });

  app.get("/v1/spend-sources", { schema: s.list }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const list = await deps.store.spend.listSources(ws.id);
    return { data: list.map((r) => sourceJson(r, spend.sync.configOf(r))) };
  });

  app.get<{ Params: { id: string } }>("/v1/spend-sources/:id", { schema: s.get }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const r = await owned(ws.id, req.params.id);
    return sourceJson(r, spend.sync.configOf(r));
  });

  app.delete<{ Params: { id: string } }>("/v1/spend-sources/:id", { schema: s.delete }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const id = req.params.id;
    const gone = ID.test(id) ? await deps.store.spend.deleteSource(ws.id, id) : false;
    if (!gone) throw new HttpError("not_found", "No spend source with this id in this workspace.");
    return { id, deleted: true };
  });

  app.post<{ Params: { id: string } }>("/v1/spend-sources/:id/sync", { schema: s.sync }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const r = await owned(ws.id, req.params.id);
    const outcome: SyncOutcome = await spend.sync.syncNow(r);
    const after = (await deps.store.spend.getSource(ws.id, r.id)) ?? r;
    return {
      ...sourceJson(after, spend.sync.configOf(after)),
      synced: { ok: outcome.ok, rows: outcome.rows, error: outcome.error },
    };
  });
}
