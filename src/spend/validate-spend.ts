/**
 * One row of `POST /v1/spend` (or of a spend CSV) checked and cleaned, or rejected naming the
 * field: a result per row, so a bad row never sinks the good ones. Pure.
 */
import { nulPath } from "../pipeline/steps/nul.js";
import { ok, reject, type StepResult } from "../pipeline/result.js";
import type { SpendRecord } from "../storage/spend-store.js";
import { dateOf, isDate, nextDate } from "./days.js";

/** ISO 4217 codes the runtime knows (ICU's list: every currency in use). */
const CURRENCIES: ReadonlySet<string> = new Set(Intl.supportedValuesOf("currency"));
const MAX_SPEND = 1e12;
const EARLIEST = "2000-01-01";

export function isCurrency(code: unknown): code is string {
  return typeof code === "string" && /^[A-Za-z]{3}$/.test(code) && CURRENCIES.has(code.toUpperCase());
}

export interface SpendContext {
  workspaceId: string;
  /** The workspace currency, for rows without one. */
  currency: string;
  timezone: string;
  now: number;
  /** The spend source that pulled the row, if any. */
  sourceId?: string | null;
}

function text(
  o: Record<string, unknown>,
  k: string,
  max: number,
  required: boolean,
): StepResult<string | null> {
  const v = o[k];
  if (v === undefined || v === null || v === "") return required ? reject("missing_field", k) : ok(null);
  if (typeof v === "number" && Number.isFinite(v)) return ok(String(v));
  if (typeof v !== "string") return reject("invalid_field", k, `\`${k}\` must be a string.`);
  const s = v.trim();
  if (s === "") return required ? reject("missing_field", k) : ok(null);
  if (s.length > max) return reject("invalid_field", k, `\`${k}\` is longer than ${max} characters.`);
  return ok(s);
}

function count(o: Record<string, unknown>, k: string): StepResult<number | null> {
  const v = o[k];
  if (v === undefined || v === null || v === "") return ok(null);
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
    return reject("invalid_field", k, `\`${k}\` must be a whole number, 0 or more.`);
  return ok(v);
}

/**
 * @example
 * validateSpend({ date: "2026-03-01", platform: "Meta", campaign: "Brand", spend: 53.39 }, ctx);
 * // { ok: true, value: { date: "2026-03-01", platform: "meta", campaign: "Brand", spend: 53.39, currency: "USD", … } }
 * validateSpend({ date: "2026-02-30", platform: "meta", campaign: "Brand", spend: 1 }, ctx);
 * // { ok: false, code: "invalid_field", field: "date", message: "`date` is not a day of the calendar …" }
 */
export function validateSpend(raw: unknown, ctx: SpendContext): StepResult<SpendRecord> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return reject("invalid_event", undefined, "Each spend row must be a JSON object.");
  const o = raw as Record<string, unknown>;
  const nul = nulPath(o);
  if (nul !== null) return reject("invalid_field", nul, `\`${nul}\` contains a NUL character (U+0000).`);

  if (o.date === undefined || o.date === null || o.date === "") return reject("missing_field", "date");
  if (!isDate(o.date))
    return reject("invalid_field", "date", "`date` is not a day of the calendar written YYYY-MM-DD.");
  const date = o.date;
  if (date < EARLIEST) return reject("invalid_field", "date", `\`date\` is before ${EARLIEST}.`);
  // A day that has not started yet anywhere has no spend; tomorrow is allowed for clock skew.
  if (date > nextDate(dateOf(ctx.now, ctx.timezone)))
    return reject("invalid_field", "date", "`date` is in the future in the workspace's timezone.");

  const platform = text(o, "platform", 64, true);
  if (!platform.ok) return platform;
  const campaign = text(o, "campaign", 256, true);
  if (!campaign.ok) return campaign;
  const campaignId = text(o, "campaign_id", 256, false);
  if (!campaignId.ok) return campaignId;
  const ad = text(o, "ad", 256, false);
  if (!ad.ok) return ad;
  const adId = text(o, "ad_id", 256, false);
  if (!adId.ok) return adId;
  const account = text(o, "account", 256, false);
  if (!account.ok) return account;

  if (o.spend === undefined || o.spend === null || o.spend === "") return reject("missing_field", "spend");
  if (typeof o.spend !== "number" || !Number.isFinite(o.spend))
    return reject("invalid_field", "spend", "`spend` must be a number (major units, e.g. 120.5).");
  if (o.spend < 0) return reject("invalid_field", "spend", "`spend` must not be negative.");
  if (o.spend > MAX_SPEND) return reject("invalid_field", "spend", "`spend` is larger than any day's spend.");

  let currency = ctx.currency;
  if (o.currency !== undefined && o.currency !== null && o.currency !== "") {
    if (!isCurrency(o.currency))
      return reject(
        "invalid_field",
        "currency",
        "`currency` is not an ISO 4217 currency code (e.g. USD, EUR).",
      );
    currency = o.currency.toUpperCase();
  }
  const impressions = count(o, "impressions");
  if (!impressions.ok) return impressions;
  const clicks = count(o, "clicks");
  if (!clicks.ok) return clicks;

  return ok({
    workspaceId: ctx.workspaceId,
    date,
    platform: platform.value!.toLowerCase(),
    account: account.value ?? "",
    campaign: campaign.value!,
    campaignId: campaignId.value,
    ad: ad.value,
    adId: adId.value,
    spend: o.spend,
    currency,
    impressions: impressions.value,
    clicks: clicks.value,
    sourceId: ctx.sourceId ?? null,
  });
}
