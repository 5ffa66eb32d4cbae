/**
 * Google Ads: the campaign's budget is a `campaign_budget` resource. Read it with GAQL
 * (`googleAds:search`), change `amount_micros` with `campaignBudgets:mutate`, pause with
 * `campaigns:mutate` (`status: PAUSED`). Money in micros (× 1,000,000), int64 as strings.
 */
import { failureOf, json, type BudgetClient, type BudgetCredentials } from "../budget-client.js";

const BASE = "https://googleads.googleapis.com";

function headers(c: BudgetCredentials): Record<string, string> {
  return {
    "content-type": "application/json",
    authorization: `Bearer ${c.access_token ?? ""}`,
    "developer-token": c.developer_token ?? "",
    ...(c.login_customer_id ? { "login-customer-id": c.login_customer_id } : {}),
  };
}
const root = (c: BudgetCredentials) =>
  `${c.endpoint ?? BASE}/${c.api_version ?? "v22"}/customers/${c.customer_id ?? ""}`;

export const googleBudget: BudgetClient = {
  readRequest: (c, id) => ({
    url: `${root(c)}/googleAds:search`,
    headers: headers(c),
    body: JSON.stringify({
      query: `SELECT campaign.id, campaign.status, campaign_budget.resource_name, campaign_budget.amount_micros FROM campaign WHERE campaign.id = ${/^\d+$/.test(id) ? id : "0"}`,
    }),
  }),
  parseRead(res) {
    if (res.status < 200 || res.status >= 300) return failureOf(res, "Google Ads");
    const rows = json(res.text)?.results;
    const row = Array.isArray(rows)
      ? (rows[0] as Record<string, Record<string, unknown>> | undefined)
      : undefined;
    if (!row)
      return { ok: false, retry: false, code: res.status, error: "Google Ads knows no such campaign" };
    const micros = Number(row.campaignBudget?.amountMicros);
    const ref = typeof row.campaignBudget?.resourceName === "string" ? row.campaignBudget.resourceName : null;
    return {
      ok: true,
      dailyBudget: Number.isFinite(micros) && micros > 0 ? micros / 1e6 : null,
      currency: null,
      ref,
    };
  },
  writeRequest: (c, id, change) =>
    change.kind === "pause"
      ? {
          url: `${root(c)}/campaigns:mutate`,
          headers: headers(c),
          body: JSON.stringify({
            operations: [
              {
                updateMask: "status",
                update: {
                  resourceName: `customers/${c.customer_id ?? ""}/campaigns/${id}`,
                  status: "PAUSED",
                },
              },
            ],
          }),
        }
      : {
          url: `${root(c)}/campaignBudgets:mutate`,
          headers: headers(c),
          body: JSON.stringify({
            operations: [
              {
                updateMask: "amount_micros",
                // Whole cents: NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT otherwise.
                update: {
                  resourceName: change.ref ?? "",
                  amountMicros: String(Math.round(change.amount * 100) * 10_000),
                },
              },
            ],
          }),
        },
  parseWrite(res) {
    if (res.status < 200 || res.status >= 300) return failureOf(res, "Google Ads");
    return { ok: true, code: res.status };
  },
};
