/**
 * Rules and signals: `POST/GET/PATCH/DELETE /v1/rules`, `GET /v1/signals`. A change reaches
 * the engine before the answer (this node evaluates the rule at once; others hear of it on
 * the bus).
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import { newId } from "../../domain/ids.js";
import { DAY_MS, MINUTE_MS, isoTime } from "../../domain/time.js";
import { MAX_RULES_PER_WORKSPACE, parseRule, patchRule, type Rule, type RuleSpec } from "../../rules/rule.js";
import { ruleFromStored, type RuleEngine } from "../../rules/rule-engine.js";
import { signalJson } from "../../rules/signal-json.js";
import type { StoredRule } from "../../storage/rules-store.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, intParam, invalid, query, rangeParams } from "../params.js";
import { ruleSchemas as s } from "../schemas/rules.js";

const ID = /^rul_[0-9a-z]{26}$/;

export interface RuleRoutesOptions {
  engine: RuleEngine;
  /** Whether a spend source of the workspace exists (apply names one). */
  spendSourceExists(workspaceId: string, id: string): Promise<boolean>;
}

function specJson(spec: RuleSpec): Record<string, unknown> {
  return { ...spec };
}

export function ruleRoutes(app: FastifyInstance, deps: AppDeps, opts: RuleRoutesOptions): void {
  const { engine } = opts;

  const ruleJson = (r: Rule) => {
    const st = engine.state(r);
    const cooldownMs = r.cooldown_minutes * MINUTE_MS;
    return {
      id: r.id,
      name: r.name,
      metric: r.metric,
      op: r.op,
      threshold: r.threshold,
      window_hours: r.window_hours,
      group_by: r.group_by,
      model: r.model,
      min_spend: r.min_spend,
      min_conversions: r.min_conversions,
      signal: r.signal,
      cooldown_minutes: r.cooldown_minutes,
      enabled: r.enabled,
      apply: r.apply,
      created_at: isoTime(r.createdAt),
      updated_at: isoTime(r.updatedAt),
      state: {
        evaluated_at: st.evaluated_at === null ? null : isoTime(st.evaluated_at),
        last_fired_at: st.last_fired_at === null ? null : isoTime(st.last_fired_at),
        keys: st.keys.map((k) => ({
          key: k.key,
          platform: k.platform,
          value: k.value,
          holds: k.holds,
          last_fired_at: k.last_fired_at === null ? null : isoTime(k.last_fired_at),
          cooldown_until:
            k.last_fired_at !== null && k.last_fired_at + cooldownMs > Date.now()
              ? isoTime(k.last_fired_at + cooldownMs)
              : null,
        })),
      },
    };
  };

  const read = (stored: StoredRule): Rule => {
    const r = ruleFromStored(stored);
    if (!r) throw new Error(`stored rule ${stored.id} does not parse`);
    return r;
  };

  const owned = async (workspaceId: string, id: string): Promise<StoredRule> => {
    const r = ID.test(id) ? await deps.store.rules.getRule(workspaceId, id) : null;
    if (!r) throw new HttpError("not_found", "No rule with this id in this workspace.");
    return r;
  };

  const checkApply = async (workspaceId: string, spec: RuleSpec) => {
    if (spec.apply && !(await opts.spendSourceExists(workspaceId, spec.apply.spend_source)))
      throw invalid("apply.spend_source", "`apply.spend_source` is not a spend source of this workspace.");
  };

  app.post("/v1/rules", { schema: s.create }, async (req, reply) => {
    const ws = await deps.auth.workspace(req);
    const p = parseRule(bodyObject(req.body));
    if (!p.ok) throw invalid(p.field, p.message);
    await checkApply(ws.id, p.spec);
    const now = Date.now();
    const stored = await deps.store.rules.createRule(
      { id: newId("rul", now), workspaceId: ws.id, spec: specJson(p.spec), createdAt: now, updatedAt: now },
      MAX_RULES_PER_WORKSPACE,
    );
    if (!stored)
      throw new HttpError(
        "limit_reached",
        `This workspace has ${MAX_RULES_PER_WORKSPACE} rules, the most it may have; delete one before creating another.`,
        { limit: MAX_RULES_PER_WORKSPACE },
      );
    await engine.rulesChanged(ws.id);
    return reply.code(201).send(ruleJson(read(stored)));
  });

  app.get("/v1/rules", { schema: s.list }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const list = await deps.store.rules.listRules(ws.id);
    return { data: list.map((r) => ruleJson(read(r))) };
  });

  app.get<{ Params: { id: string } }>("/v1/rules/:id", { schema: s.get }, async (req) => {
    const ws = await deps.auth.workspace(req);
    return ruleJson(read(await owned(ws.id, req.params.id)));
  });

  app.patch<{ Params: { id: string } }>("/v1/rules/:id", { schema: s.patch }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const current = read(await owned(ws.id, req.params.id));
    const p = patchRule(current, bodyObject(req.body));
    if (!p.ok) throw invalid(p.field, p.message);
    await checkApply(ws.id, p.spec);
    const stored = await deps.store.rules.updateRule(ws.id, current.id, specJson(p.spec), Date.now());
    if (!stored) throw new HttpError("not_found", "No rule with this id in this workspace.");
    await engine.rulesChanged(ws.id);
    return ruleJson(read(stored));
  });

  app.delete<{ Params: { id: string } }>("/v1/rules/:id", { schema: s.delete }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const id = req.params.id;
    const gone = ID.test(id) ? await deps.store.rules.deleteRule(ws.id, id) : false;
    if (!gone) throw new HttpError("not_found", "No rule with this id in this workspace.");
    await engine.rulesChanged(ws.id);
    return { id, deleted: true };
  });

  app.get("/v1/signals", { schema: s.signals }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const q = query(req.query);
    const { from, to } = rangeParams(q);
    const limit = intParam(q, "limit", 100, 1, 1000);
    const list = await deps.store.rules.listSignals(ws.id, from ?? Date.now() - 7 * DAY_MS, to, limit);
    return { data: list.map(signalJson) };
  });
}
