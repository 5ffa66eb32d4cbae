/**
 * TikTok: read `GET /open_api/v1.3/campaign/get/` (filtering by the campaign id), change
 * `POST /campaign/update/` (`budget`, major units), pause `POST /campaign/status/update/`
 * (`DISABLE`). Errors come as `{code, message}` in a 200; 40100/40132 and 5xxxx are limits
 * and outages (retried).
 */
import {
  failureOf,
  json,
  type BudgetClient,
  type BudgetCredentials,
  type BudgetFailure,
  type Response,
} from "../budget-client.js";

const BASE = "https://business-api.tiktok.com";
const url = (c: BudgetCredentials, path: string) => `${c.endpoint ?? BASE}/open_api/v1.3/${path}`;
const headers = (c: BudgetCredentials) => ({
  "content-type": "application/json",
  "access-token": c.access_token ?? "",
});

function envelope(res: Response): { data: Record<string, unknown> | null } | BudgetFailure {
  if (res.status < 200 || res.status >= 300) return failureOf(res, "TikTok");
  const b = json(res.text);
  const code = typeof b?.code === "number" ? b.code : -1;
  if (code === 0) return { data: (b?.data as Record<string, unknown> | undefined) ?? null };
  const retry = code === 40100 || code === 40132 || code === 40202 || code >= 50000;
  return {
    ok: false,
    retry,
    code: res.status,
    error: `TikTok code ${code}: ${typeof b?.message === "string" ? b.message : res.text.slice(0, 200)}`,
  };
}

export const tiktokBudget: BudgetClient = {
  readRequest: (c, id) => ({
    method: "GET",
    url: `${url(c, "campaign/get/")}?${new URLSearchParams({
      advertiser_id: c.advertiser_id ?? "",
      filtering: JSON.stringify({ campaign_ids: [id] }),
    })}`,
    headers: headers(c),
    body: "",
  }),
  parseRead(res) {
    const e = envelope(res);
    if ("ok" in e) return e;
    const list = e.data?.list;
    const row = Array.isArray(list) ? (list[0] as Record<string, unknown> | undefined) : undefined;
    if (!row) return { ok: false, retry: false, code: res.status, error: "TikTok knows no such campaign" };
    const budget = Number(row.budget);
    const daily = row.budget_mode === undefined || row.budget_mode === "BUDGET_MODE_DAY";
    return { ok: true, dailyBudget: daily && budget > 0 ? budget : null, currency: null, ref: null };
  },
  writeRequest: (c, id, change) =>
    change.kind === "pause"
      ? {
          url: url(c, "campaign/status/update/"),
          headers: headers(c),
          body: JSON.stringify({
            advertiser_id: c.advertiser_id,
            campaign_ids: [id],
            operation_status: "DISABLE",
          }),
        }
      : {
          url: url(c, "campaign/update/"),
          headers: headers(c),
          body: JSON.stringify({ advertiser_id: c.advertiser_id, campaign_id: id, budget: change.amount }),
        },
  parseWrite(res) {
    const e = envelope(res);
    return "ok" in e ? e : { ok: true, code: res.status };
  },
};
