/**
 * LinkedIn: read `GET /rest/adAccounts/{account}/adCampaigns/{campaign}` and change it with a
 * Rest.li partial update (`POST` + `X-RestLi-Method: PARTIAL_UPDATE`, body
 * `{"patch": {"$set": {...}}}`): `dailyBudget` `{amount: "50.00", currencyCode}` (major units,
 * the account's currency) or `status: PAUSED`. Success is 204.
 */
import { failureOf, json, type BudgetClient, type BudgetCredentials } from "../budget-client.js";

const BASE = "https://api.linkedin.com";
const campaignUrl = (c: BudgetCredentials, id: string) =>
  `${c.endpoint ?? BASE}/rest/adAccounts/${encodeURIComponent(c.account_id ?? "")}/adCampaigns/${encodeURIComponent(id)}`;
const headers = (c: BudgetCredentials) => ({
  authorization: `Bearer ${c.access_token ?? ""}`,
  "linkedin-version": c.version ?? "202601",
  "x-restli-protocol-version": "2.0.0",
});

export const linkedinBudget: BudgetClient = {
  readRequest: (c, id) => ({ method: "GET", url: campaignUrl(c, id), headers: headers(c), body: "" }),
  parseRead(res) {
    if (res.status < 200 || res.status >= 300) return failureOf(res, "LinkedIn");
    const b = json(res.text);
    const daily = b?.dailyBudget as { amount?: unknown; currencyCode?: unknown } | undefined;
    const amount = Number(daily?.amount);
    return {
      ok: true,
      dailyBudget: Number.isFinite(amount) && amount > 0 ? amount : null,
      currency: typeof daily?.currencyCode === "string" ? daily.currencyCode : null,
      ref: null,
    };
  },
  writeRequest: (c, id, change, read) => ({
    url: campaignUrl(c, id),
    headers: { ...headers(c), "content-type": "application/json", "x-restli-method": "PARTIAL_UPDATE" },
    body: JSON.stringify({
      patch: {
        $set:
          change.kind === "pause"
            ? { status: "PAUSED" }
            : { dailyBudget: { amount: change.amount.toFixed(2), currencyCode: read.currency ?? "USD" } },
      },
    }),
  }),
  parseWrite(res) {
    if (res.status < 200 || res.status >= 300) return failureOf(res, "LinkedIn");
    return { ok: true, code: res.status };
  },
};
