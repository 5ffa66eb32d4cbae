/**
 * Applying signals to the platform (rules with `apply`): a stored signal waits with
 * `applied.status = "pending"`; this claims it (a lease: of several nodes one applies it),
 * reads the campaign's daily budget, moves it by `change_pct` within the day's bound
 * (`max_daily_change_pct`, rules/budget-bound.ts) or pauses the campaign, and records the
 * platform's answer on the signal. 429/5xx/timeouts are retried with backoff (`Retry-After`
 * honoured) up to 5 attempts; a retry first re-reads the budget, so a change that went
 * through before its answer was lost is not made twice. `dry_run` reads the budget and
 * records what would be set, and changes nothing.
 */
import type { Logger } from "pino";
import { backoffDelay } from "../destinations/backoff.js";
import type {
  BudgetClient,
  BudgetCredentials,
  BudgetFailure,
  BudgetRead,
  BudgetWrite,
  Response,
} from "../destinations/budget-client.js";
import { BUDGET_CLIENTS, PLATFORM_OF_SOURCE } from "../destinations/budget-clients.js";
import { authorizeGoogle } from "../destinations/google-ads/google-oauth.js";
import type { HttpAnswer, HttpRequest, Send } from "../destinations/types.js";
import { MINUTE_MS } from "../domain/time.js";
import type { Bus } from "../bus.js";
import { dateOf } from "../spend/days.js";
import type { AppliedRecord, SignalRecord } from "../storage/rules-store.js";
import type { Store } from "../storage/storage.js";
import { boundedBudget } from "./budget-bound.js";
import { ruleFromStored } from "./rule-engine.js";
import { signalJson } from "./signal-json.js";

export const MAX_APPLY_ATTEMPTS = 5;
const LEASE_MS = 2 * MINUTE_MS;

export interface ApplierDeps {
  store: Store;
  bus: Bus;
  send: Send;
  logger: Pick<Logger, "warn">;
  credentials(workspaceId: string, sourceId: string): Promise<BudgetCredentials | null>;
  now?: () => number;
  /** How often pending applies are looked for (retries, other nodes' signals). */
  pollMs?: number;
}

type Outcome = { applied: AppliedRecord; retryAt: number | null };

export class SignalApplier {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;

  constructor(private readonly d: ApplierDeps) {
    this.now = d.now ?? Date.now;
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.d.pollMs ?? 5000);
    this.timer.unref();
    this.kick();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Looks for pending applies now (a signal was just stored). */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain()
      .catch((err: unknown) =>
        this.d.logger.warn(
          { err: { message: err instanceof Error ? err.message : String(err) } },
          "applying signals failed",
        ),
      )
      .finally(() => {
        this.running = null;
        if (this.again && this.timer) {
          this.again = false;
          this.kick();
        }
      });
  }

  private async drain(): Promise<void> {
    for (;;) {
      const due = await this.d.store.rules.claimApplies(this.now(), LEASE_MS, 10);
      if (due.length === 0) return;
      for (const s of due) {
        const { applied, retryAt } = await this.applyOne(s, s.attempts);
        await this.d.store.rules.setApplied(s.workspaceId, s.id, applied, retryAt);
        // A retry due before the next poll: look again then rather than a whole poll later.
        if (retryAt !== null) setTimeout(() => this.kick(), Math.max(0, retryAt - this.now())).unref();
        this.d.bus.publish({
          type: "signal",
          workspaceId: s.workspaceId,
          data: { ...signalJson({ ...s, applied }) },
        });
      }
    }
  }

  /** What applying one signal does; never throws for a platform's answer. */
  async applyOne(s: SignalRecord, attempt: number): Promise<Outcome> {
    const done = (a: Partial<AppliedRecord> & { status: AppliedRecord["status"] }): Outcome => ({
      applied: { status_code: null, error: null, ...a },
      retryAt: null,
    });
    const stored = await this.d.store.rules.getRule(s.workspaceId, s.ruleId);
    const rule = stored ? ruleFromStored(stored) : null;
    if (!rule?.apply)
      return done({ status: "failed", error: "the rule was deleted or no longer applies its signals" });
    const { apply } = rule;
    const creds = await this.d.credentials(s.workspaceId, apply.spend_source);
    if (!creds)
      return done({ status: "failed", error: `spend source ${apply.spend_source} is not there any more` });
    if (PLATFORM_OF_SOURCE[creds.type] !== s.platform)
      return done({
        status: "failed",
        error: `spend source ${apply.spend_source} is for ${PLATFORM_OF_SOURCE[creds.type]}, the signal for ${s.platform}`,
      });
    const campaignId = s.campaignId ?? (/^[0-9]{1,30}$/.test(s.key) ? s.key : null);
    if (!campaignId)
      return done({
        status: "failed",
        error: `no ${s.platform} campaign id is known for "${s.key}": spend rows from a spend source name it`,
      });
    const client = BUDGET_CLIENTS[creds.type];
    if (creds.type === "google_ads" && !creds.access_token) {
      // A refresh token: Google's OAuth gives the access token (cached until it expires).
      const auth = await authorizeGoogle(
        {
          access_token: null,
          client_id: creds.client_id ?? null,
          client_secret: creds.client_secret ?? null,
          refresh_token: creds.refresh_token ?? null,
          token_endpoint: creds.token_endpoint ?? null,
          endpoint: creds.endpoint,
          timeout_ms: creds.timeout_ms,
        },
        this.d.send,
        this.now(),
      );
      if (!auth.ok)
        return done({ status: "failed", error: "Google's OAuth refused the spend source's credentials" });
      creds.access_token = auth.accessToken ?? null;
    }
    const dry = apply.dry_run ? { dry_run: true } : {};
    const failed = (f: BudgetFailure, extra: Record<string, unknown>): Outcome => {
      const retry = f.retry && !apply.dry_run && attempt < MAX_APPLY_ATTEMPTS;
      return {
        applied: {
          status: retry ? "pending" : "failed",
          status_code: f.code,
          error: f.error,
          ...extra,
          attempts: attempt,
        },
        retryAt: retry ? this.now() + backoffDelay(attempt, 2000, f.retryAfterMs) : null,
      };
    };

    if (s.signal === "pause") {
      if (apply.dry_run) return done({ status: "dry_run", action: "pause", campaign_id: campaignId, ...dry });
      const w = await this.write(
        client,
        creds,
        client.writeRequest(creds, campaignId, { kind: "pause" }, { currency: null }),
      );
      return w.ok
        ? done({ status: "applied", status_code: w.code, action: "pause", campaign_id: campaignId })
        : failed(w, { action: "pause", campaign_id: campaignId });
    }

    const read = await this.read(client, creds, campaignId);
    if (!read.ok) return failed(read, { action: "set_daily_budget", campaign_id: campaignId });
    const current = read.dailyBudget ?? 0;
    const previous = s.applied?.to;
    // A retry whose change already went through (its answer was lost): nothing more to do.
    if (typeof previous === "number" && current === previous)
      return done({
        status: "applied",
        status_code: 200,
        action: "set_daily_budget",
        campaign_id: campaignId,
        from: s.applied?.from ?? null,
        to: previous,
      });
    const ws = await this.d.store.getWorkspace(s.workspaceId);
    const day = dateOf(this.now(), ws?.timezone ?? "UTC");
    const base = await this.d.store.rules.budgetBase(s.workspaceId, s.platform, s.key, day);
    const dir = s.signal === "increase_budget" ? "increase" : "decrease";
    const b = boundedBudget(
      current,
      dir,
      apply.change_pct,
      apply.max_daily_change_pct,
      base === null ? null : { base },
    );
    if (!b.ok)
      return done({
        status: "skipped",
        error: b.reason,
        action: "set_daily_budget",
        campaign_id: campaignId,
        from: current,
        ...dry,
      });
    const what = {
      action: "set_daily_budget",
      campaign_id: campaignId,
      from: b.from,
      to: b.to,
      clamped: b.clamped,
    };
    if (apply.dry_run) return done({ status: "dry_run", ...what, ...dry });
    if (base === null)
      await this.d.store.rules.initBudgetBase(s.workspaceId, s.platform, s.key, day, current);
    const w = await this.write(
      client,
      creds,
      client.writeRequest(
        creds,
        campaignId,
        { kind: "set_daily_budget", amount: b.to, ref: read.ref },
        { currency: read.currency },
      ),
    );
    return w.ok ? done({ status: "applied", status_code: w.code, ...what }) : failed(w, what);
  }

  /** Sends one request: the platform's response, or why there is none (retried unless refused). */
  private async exchange(creds: BudgetCredentials, req: HttpRequest): Promise<Response | BudgetFailure> {
    const answer: HttpAnswer = await this.d.send(req, creds.timeout_ms);
    if (answer.kind === "timeout")
      return { ok: false, retry: true, code: null, error: `no answer within ${answer.ms} ms` };
    if (answer.kind === "network")
      return { ok: false, retry: true, code: null, error: `network error: ${answer.message}` };
    if (answer.kind === "refused")
      return { ok: false, retry: false, code: null, error: `endpoint_not_allowed: ${answer.message}` };
    return answer;
  }

  private async read(client: BudgetClient, creds: BudgetCredentials, id: string): Promise<BudgetRead> {
    const r = await this.exchange(creds, client.readRequest(creds, id));
    return "kind" in r ? client.parseRead(r, creds) : r;
  }

  private async write(
    client: BudgetClient,
    creds: BudgetCredentials,
    req: HttpRequest,
  ): Promise<BudgetWrite> {
    const r = await this.exchange(creds, req);
    return "kind" in r ? client.parseWrite(r) : r;
  }
}
