/** Workspaces (admin), a workspace's own settings, and its conversion actions (secret key). */
import type { FastifyInstance } from "fastify";
import { createHash } from "node:crypto";
import { HttpError } from "../../domain/errors.js";
import { newPublicKey, newSecretKey } from "../../workspaces/key-format.js";
import { isoTime } from "../../domain/time.js";
import {
  ACTION_NAME,
  NON_CONVERSION_EVENTS,
  REQUIRABLE_FIELDS,
  standardActions,
  type ConversionAction,
  type Workspace,
} from "../../domain/workspace.js";
import type { WorkspacePatch } from "../../storage/storage.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, invalid, stringField } from "../params.js";
import {
  qualitySettingsJson,
  validateFlaggedConversions,
  validateQualityPatch,
} from "../../quality/settings.js";
import { workspaceSchemas as s } from "../schemas/workspaces.js";

const CURRENCY = /^[A-Z]{3}$/;

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export function workspaceJson(w: Workspace) {
  return {
    id: w.id,
    name: w.name,
    currency: w.currency,
    timezone: w.timezone,
    default_country: w.defaultCountry,
    allowed_origins: w.allowedOrigins,
    consent_default: w.consentDefault,
    ...qualitySettingsJson(w.quality),
    public_key: w.publicKey,
    created_at: isoTime(w.createdAt),
  };
}

export function actionJson(a: ConversionAction) {
  return {
    name: a.name,
    required: a.required,
    click_window_days: a.clickWindowDays,
    view_window_days: a.viewWindowDays,
  };
}

function currencyField(b: Record<string, unknown>): string | undefined {
  const c = stringField(b, "currency", { max: 3 });
  if (c === undefined) return undefined;
  const up = c.toUpperCase();
  if (!CURRENCY.test(up))
    throw invalid("currency", "`currency` must be a 3-letter ISO-4217 code such as USD.");
  return up;
}

function timezoneField(b: Record<string, unknown>): string | undefined {
  const tz = stringField(b, "timezone", { max: 64 });
  if (tz !== undefined && !isTimeZone(tz))
    throw invalid("timezone", "`timezone` must be an IANA time zone such as UTC or Europe/Paris.");
  return tz;
}

export function normalizeOrigin(raw: unknown): string {
  if (typeof raw !== "string")
    throw invalid(
      "allowed_origins",
      "`allowed_origins` must be a list of origins like https://shop.example.",
    );
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw invalid("allowed_origins", `"${raw.slice(0, 100)}" is not an origin like https://shop.example.`);
  }
  if ((u.protocol !== "https:" && u.protocol !== "http:") || u.pathname.length > 1 || u.search || u.hash)
    throw invalid(
      "allowed_origins",
      `"${raw.slice(0, 100)}" is not an origin like https://shop.example (scheme and host only).`,
    );
  return u.origin;
}

export function workspaceRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/workspaces", { schema: s.create }, async (req, reply) => {
    await deps.auth.admin(req);
    const b = bodyObject(req.body);
    const name = stringField(b, "name", { required: true, max: 200 })!;
    const currency = currencyField(b) ?? "USD";
    const timezone = timezoneField(b) ?? "UTC";
    const publicKey = newPublicKey();
    const secretKey = newSecretKey();
    const ws = await deps.store.createWorkspace(
      { name, currency, timezone },
      { publicKey, secretKeyHash: createHash("sha256").update(secretKey).digest("hex") },
      standardActions(),
    );
    return reply.code(201).send({ ...workspaceJson(ws), secret_key: secretKey });
  });

  app.get("/v1/workspaces", { schema: s.list }, async (req) => {
    await deps.auth.admin(req);
    const list = await deps.store.listWorkspaces();
    return {
      data: list.map((w) => ({
        id: w.id,
        name: w.name,
        public_key: w.publicKey,
        created_at: isoTime(w.createdAt),
        currency: w.currency,
        timezone: w.timezone,
      })),
    };
  });

  app.get("/v1/workspace", { schema: s.get }, async (req) => workspaceJson(await deps.auth.workspace(req)));

  app.patch("/v1/workspace", { schema: s.patch }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    const allowed = new Set([
      "name",
      "currency",
      "timezone",
      "default_country",
      "allowed_origins",
      "consent_default",
      "quality",
      "flagged_conversions",
    ]);
    for (const k of Object.keys(b))
      if (!allowed.has(k))
        throw invalid(k, `\`${k}\` is not a workspace setting; settings are ${[...allowed].join(", ")}.`);
    const patch: WorkspacePatch = {};
    const name = stringField(b, "name", { max: 200 });
    if (name !== undefined) {
      if (name === "") throw invalid("name", "`name` must not be empty.");
      patch.name = name;
    }
    const currency = currencyField(b);
    if (currency !== undefined) patch.currency = currency;
    const tz = timezoneField(b);
    if (tz !== undefined) patch.timezone = tz;
    if ("default_country" in b) {
      const c = b.default_country;
      if (c === null || c === "") patch.defaultCountry = null;
      else if (typeof c === "string" && /^[A-Za-z]{2}$/.test(c.trim()))
        patch.defaultCountry = c.trim().toUpperCase();
      else
        throw invalid(
          "default_country",
          "`default_country` must be an ISO-3166 alpha-2 code such as US, or null.",
        );
    }
    if ("allowed_origins" in b) {
      const o = b.allowed_origins;
      if (!Array.isArray(o) || o.length > 100)
        throw invalid("allowed_origins", "`allowed_origins` must be a list of at most 100 origins.");
      patch.allowedOrigins = [...new Set(o.map(normalizeOrigin))];
    }
    if ("consent_default" in b) {
      if (b.consent_default !== "denied" && b.consent_default !== "granted")
        throw invalid("consent_default", '`consent_default` must be "denied" or "granted".');
      patch.consentDefault = b.consent_default;
    }
    if ("quality" in b) {
      const q = validateQualityPatch(b.quality);
      if (!q.ok) throw invalid(q.error.details.field, q.error.message);
      patch.quality = q.value;
    }
    if ("flagged_conversions" in b) {
      const f = validateFlaggedConversions(b.flagged_conversions);
      if (!f.ok) throw invalid(f.error.details.field, f.error.message);
      patch.flaggedConversions = f.value;
    }
    const updated = await deps.store.updateWorkspace(ws.id, patch);
    deps.directory.invalidate(ws.id);
    if (!updated) throw new HttpError("not_found");
    return workspaceJson(updated);
  });

  app.get("/v1/conversion-actions", { schema: s.actions }, async (req) => {
    const ws = await deps.auth.workspace(req);
    return { data: (await deps.store.listConversionActions(ws.id)).map(actionJson) };
  });

  app.put<{ Params: { name: string } }>("/v1/conversion-actions/:name", { schema: s.action }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const name = req.params.name;
    if (!ACTION_NAME.test(name))
      throw invalid("name", "An action name has letters, digits and _ only, up to 64 characters.");
    if ((NON_CONVERSION_EVENTS as readonly string[]).includes(name))
      throw new HttpError("conflict", `${name} is a non-conversion event and cannot be a conversion action.`);
    const b = req.body === undefined ? {} : bodyObject(req.body);
    for (const k of Object.keys(b))
      if (!["required", "click_window_days", "view_window_days"].includes(k))
        throw invalid(k, `\`${k}\` is not a conversion action field.`);
    const existing = (await deps.store.listConversionActions(ws.id)).find((a) => a.name === name);
    const action: ConversionAction = existing
      ? { ...existing }
      : { name, required: [], clickWindowDays: 30, viewWindowDays: 1 };
    if (b.required !== undefined) {
      if (
        !Array.isArray(b.required) ||
        !b.required.every(
          (r) => typeof r === "string" && (REQUIRABLE_FIELDS as readonly string[]).includes(r),
        )
      )
        throw invalid("required", `\`required\` must be a list drawn from ${REQUIRABLE_FIELDS.join(", ")}.`);
      action.required = [...new Set(b.required as string[])];
    }
    for (const [field, key] of [
      ["click_window_days", "clickWindowDays"],
      ["view_window_days", "viewWindowDays"],
    ] as const) {
      const v = b[field];
      if (v === undefined) continue;
      if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || v > 90)
        throw invalid(field, `\`${field}\` must be a number of days from 0 to 90.`);
      action[key] = v;
    }
    const saved = await deps.store.upsertConversionAction(ws.id, action);
    deps.directory.invalidate(ws.id);
    return actionJson(saved);
  });
}
