/**
 * Meta: read `GET /{campaign_id}?fields=daily_budget,status` and update `POST /{campaign_id}`
 * (`daily_budget` in the currency's minimum unit with Meta's offset — 100 for most, 1 for
 * JPY, KRW, … — or `status=PAUSED`); the answer is `{"success": true}`.
 */
import { failureOf, json, type BudgetClient } from "../budget-client.js";

const BASE = "https://graph.facebook.com";
/** Currencies Meta counts in whole units (offset 1). */
const OFFSET_1 = new Set(["JPY", "KRW", "TWD", "CLP", "COP", "CRC", "HUF", "ISK", "IDR", "PYG"]);
const offsetOf = (currency: string | null) => (currency && OFFSET_1.has(currency) ? 1 : 100);

const nodeUrl = (c: { endpoint: string | null; api_version?: string }, id: string) =>
  `${c.endpoint ?? BASE}/${c.api_version ?? "v25.0"}/${encodeURIComponent(id)}`;

export const metaBudget: BudgetClient = {
  readRequest: (c, id) => ({
    method: "GET",
    url: `${nodeUrl(c, id)}?${new URLSearchParams({ fields: "daily_budget,status,account_currency", access_token: c.access_token ?? "" })}`,
    headers: { accept: "application/json" },
    body: "",
  }),
  parseRead(res) {
    if (res.status < 200 || res.status >= 300) return failureOf(res, "Meta");
    const b = json(res.text);
    const currency = typeof b?.account_currency === "string" ? b.account_currency : null;
    const raw = b?.daily_budget;
    const minor = typeof raw === "string" || typeof raw === "number" ? Number(raw) : NaN;
    return {
      ok: true,
      dailyBudget: Number.isFinite(minor) && minor > 0 ? minor / offsetOf(currency) : null,
      currency,
      ref: null,
    };
  },
  writeRequest: (c, id, change, read) => ({
    url: nodeUrl(c, id),
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      ...(change.kind === "pause"
        ? { status: "PAUSED" }
        : { daily_budget: String(Math.round(change.amount * offsetOf(read.currency))) }),
      access_token: c.access_token ?? "",
    }).toString(),
  }),
  parseWrite(res) {
    if (res.status < 200 || res.status >= 300) return failureOf(res, "Meta");
    const b = json(res.text);
    return b?.success === true
      ? { ok: true, code: res.status }
      : {
          ok: false,
          retry: false,
          code: res.status,
          error: `Meta did not confirm: ${res.text.slice(0, 300)}`,
        };
  },
};
