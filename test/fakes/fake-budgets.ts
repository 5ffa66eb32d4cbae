/**
 * Fake budget and status APIs of the four platforms (platform-apis-decisions.md A3, B, C, D),
 * over one in-memory table of campaigns per fake: what a rule's `apply` reads and changes.
 * Each checks what the real API checks (auth header, field names, units, masks) and records
 * what it found wrong in `problems`.
 *
 * - Meta: GET /vNN.0/{id}?fields=daily_budget,status&access_token → {"daily_budget": "5000", …}
 *   (minor units); POST /vNN.0/{id} form `daily_budget` or `status=PAUSED` → {"success": true}.
 * - Google: POST /vNN/customers/{cid}/googleAds:search (GAQL over campaign) →
 *   {"results": [{"campaign": …, "campaignBudget": {"resourceName", "amountMicros": "…"}}]};
 *   POST …/campaignBudgets:mutate (updateMask amount_micros) and …/campaigns:mutate (status).
 * - TikTok: GET /open_api/v1.3/campaign/get/?advertiser_id&filtering={"campaign_ids": […]};
 *   POST /campaign/update/ {advertiser_id, campaign_id, budget} and /campaign/status/update/
 *   {advertiser_id, campaign_ids, operation_status: DISABLE}; errors `{code, message}` in a 200.
 * - LinkedIn: GET /rest/adAccounts/{a}/adCampaigns/{c}; POST the same with
 *   `X-RestLi-Method: PARTIAL_UPDATE` and {"patch": {"$set": {dailyBudget | status}}} → 204.
 */
import { FakeServer, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";

export interface FakeCampaign {
  /** Daily budget in major units (null: none on the campaign). */
  budget: number | null;
  status: string;
  currency: string;
}

export type Platform = "meta" | "google" | "tiktok" | "linkedin";

export class FakeBudgets extends FakeServer {
  readonly campaigns = new Map<string, FakeCampaign>();
  /** Changes the fake took, in order. */
  readonly changes: { id: string; budget?: number; status?: string }[] = [];
  constructor(
    readonly platform: Platform,
    readonly token: string,
  ) {
    super(`${platform}-budgets`, (req, fake) => handle(fake as FakeBudgets, req));
  }
}

export async function startFakeBudgets(
  platform: Platform,
  token = "tok-budget-0123456789",
): Promise<FakeBudgets> {
  return new FakeBudgets(platform, token).listen();
}

function handle(f: FakeBudgets, req: FakeRequest): FakeAnswer {
  switch (f.platform) {
    case "meta":
      return meta(f, req);
    case "google":
      return google(f, req);
    case "tiktok":
      return tiktok(f, req);
    case "linkedin":
      return linkedin(f, req);
  }
}

function change(f: FakeBudgets, id: string, c: { budget?: number; status?: string }): void {
  const camp = f.campaigns.get(id)!;
  if (c.budget !== undefined) camp.budget = c.budget;
  if (c.status !== undefined) camp.status = c.status;
  f.changes.push({ id, ...c });
}

function meta(f: FakeBudgets, req: FakeRequest): FakeAnswer {
  const m = /^\/v\d+\.0\/(\d+)$/.exec(req.path);
  const params = req.method === "GET" ? req.query : new URLSearchParams(req.raw);
  const oauth = (message: string, code = 190): FakeAnswer => ({
    status: 400,
    body: { error: { message, type: "OAuthException", code, fbtrace_id: "fake" } },
  });
  if (params.get("access_token") !== f.token) return oauth("Invalid OAuth access token.");
  const camp = m ? f.campaigns.get(m[1]!) : undefined;
  if (!m || !camp) return oauth("(#100) Unsupported request: object does not exist", 100);
  const offset = ["JPY", "KRW"].includes(camp.currency) ? 1 : 100;
  if (req.method === "GET")
    return {
      status: 200,
      body: {
        id: m[1],
        status: camp.status,
        account_currency: camp.currency,
        ...(camp.budget !== null ? { daily_budget: String(Math.round(camp.budget * offset)) } : {}),
      },
    };
  if (req.headers["content-type"] !== "application/x-www-form-urlencoded")
    f.problem("Meta update not form-encoded");
  const daily = params.get("daily_budget");
  const status = params.get("status");
  if (daily !== null && !/^\d+$/.test(daily))
    return oauth("(#100) daily_budget must be an unsigned integer", 100);
  if (status !== null && !["ACTIVE", "PAUSED", "DELETED", "ARCHIVED"].includes(status))
    return oauth("(#100) status is invalid", 100);
  change(f, m[1]!, {
    ...(daily !== null ? { budget: Number(daily) / offset } : {}),
    ...(status !== null ? { status } : {}),
  });
  return { status: 200, body: { success: true } };
}

function google(f: FakeBudgets, req: FakeRequest): FakeAnswer {
  const m = /^\/v\d+\/customers\/(\d{10})\/(googleAds:search|campaignBudgets:mutate|campaigns:mutate)$/.exec(
    req.path,
  );
  const fail = (status: number, code: string, message: string): FakeAnswer => ({
    status,
    body: { error: { code: status, status: code, message } },
  });
  if (req.headers.authorization !== `Bearer ${f.token}`)
    return fail(401, "UNAUTHENTICATED", "invalid credentials");
  if (!req.headers["developer-token"]) return fail(401, "UNAUTHENTICATED", "developer-token missing");
  if (!m || req.method !== "POST" || !isObject(req.body)) return fail(404, "NOT_FOUND", "no such method");
  const cid = m[1]!;
  const body = req.body;
  if (m[2] === "googleAds:search") {
    const id = /campaign\.id = (\d+)/.exec(String(body.query))?.[1];
    if (!String(body.query).includes("campaign_budget.amount_micros"))
      f.problem("GAQL does not select the budget");
    const camp = id ? f.campaigns.get(id) : undefined;
    if (!id || !camp) return { status: 200, body: { results: [], fieldMask: "campaign.id" } };
    return {
      status: 200,
      body: {
        results: [
          {
            campaign: { resourceName: `customers/${cid}/campaigns/${id}`, id, status: camp.status },
            campaignBudget: {
              resourceName: `customers/${cid}/campaignBudgets/9${id}`,
              ...(camp.budget !== null ? { amountMicros: String(Math.round(camp.budget * 1e6)) } : {}),
            },
          },
        ],
        fieldMask: "campaign.id,campaign.status,campaignBudget.resourceName,campaignBudget.amountMicros",
      },
    };
  }
  const ops = body.operations;
  const op = Array.isArray(ops) && isObject(ops[0]) ? ops[0] : null;
  const update = op && isObject(op.update) ? op.update : null;
  if (!op || !update) return fail(400, "INVALID_ARGUMENT", "operations required");
  const resource = String(update.resourceName);
  if (m[2] === "campaignBudgets:mutate") {
    if (op.updateMask !== "amount_micros" && op.updateMask !== "amountMicros")
      f.problem("budget mask is not amount_micros");
    const id = new RegExp(`^customers/${cid}/campaignBudgets/9(\\d+)$`).exec(resource)?.[1];
    if (!id || !f.campaigns.has(id)) return fail(400, "INVALID_ARGUMENT", "CAMPAIGN_BUDGET_REMOVED");
    const micros = Number(update.amountMicros);
    if (!Number.isInteger(micros) || micros % 10_000 !== 0)
      return {
        status: 400,
        body: {
          error: {
            code: 400,
            status: "INVALID_ARGUMENT",
            details: [
              { errors: [{ errorCode: { campaignBudgetError: "NON_MULTIPLE_OF_MINIMUM_CURRENCY_UNIT" } }] },
            ],
          },
        },
      };
    change(f, id, { budget: micros / 1e6 });
  } else {
    if (op.updateMask !== "status") f.problem("campaign mask is not status");
    const id = new RegExp(`^customers/${cid}/campaigns/(\\d+)$`).exec(resource)?.[1];
    if (!id || !f.campaigns.has(id)) return fail(400, "INVALID_ARGUMENT", "no such campaign");
    if (!["ENABLED", "PAUSED"].includes(String(update.status)))
      return fail(400, "INVALID_ARGUMENT", "bad status");
    change(f, id, { status: String(update.status) });
  }
  return { status: 200, body: { results: [{ resourceName: resource }] } };
}

function tiktok(f: FakeBudgets, req: FakeRequest): FakeAnswer {
  const err = (code: number, message: string): FakeAnswer => ({
    status: 200,
    body: { code, message, request_id: "fake", data: {} },
  });
  if (req.headers["access-token"] !== f.token) return err(40105, "The access token is invalid");
  const ok = (data: unknown): FakeAnswer => ({
    status: 200,
    body: { code: 0, message: "OK", request_id: "fake", data },
  });
  if (req.method === "GET" && req.path === "/open_api/v1.3/campaign/get/") {
    if (!req.query.get("advertiser_id")) return err(40002, "advertiser_id: Missing data for required field.");
    let ids: unknown;
    try {
      ids = (JSON.parse(req.query.get("filtering") ?? "{}") as { campaign_ids?: unknown }).campaign_ids;
    } catch {
      return err(40002, "filtering: Not a valid JSON.");
    }
    const list = (Array.isArray(ids) ? ids : [])
      .map(String)
      .filter((id) => f.campaigns.has(id))
      .map((id) => {
        const c = f.campaigns.get(id)!;
        return {
          campaign_id: id,
          budget: c.budget ?? 0,
          budget_mode: c.budget === null ? "BUDGET_MODE_INFINITE" : "BUDGET_MODE_DAY",
          operation_status: c.status,
        };
      });
    return ok({ list, page_info: { page: 1, page_size: 10, total_number: list.length, total_page: 1 } });
  }
  if (req.method !== "POST" || !isObject(req.body)) return err(40002, "bad request");
  const b = req.body;
  if (typeof b.advertiser_id !== "string")
    return err(40002, "advertiser_id: Missing data for required field.");
  if (req.path === "/open_api/v1.3/campaign/update/") {
    const id = String(b.campaign_id);
    if (!f.campaigns.has(id)) return err(40002, "campaign_id: not found");
    if (typeof b.budget !== "number") return err(40002, "budget: Not a valid number.");
    change(f, id, { budget: b.budget });
    return ok({ campaign_id: id, budget: b.budget });
  }
  if (req.path === "/open_api/v1.3/campaign/status/update/") {
    const ids = Array.isArray(b.campaign_ids) ? b.campaign_ids.map(String) : [];
    if (ids.length < 1 || ids.length > 20) return err(40002, "campaign_ids: 1 to 20 ids.");
    if (!["ENABLE", "DISABLE", "DELETE"].includes(String(b.operation_status)))
      return err(40002, "operation_status: Must be one of ENABLE, DISABLE, DELETE.");
    for (const id of ids) if (f.campaigns.has(id)) change(f, id, { status: String(b.operation_status) });
    return ok({
      campaign_ids: ids,
      status: b.operation_status,
      campaign_list: ids.map((campaign_id: string) => ({ campaign_id, status: b.operation_status })),
    });
  }
  return err(40002, "no such path");
}

function linkedin(f: FakeBudgets, req: FakeRequest): FakeAnswer {
  const m = /^\/rest\/adAccounts\/(\d+)\/adCampaigns\/(\d+)$/.exec(req.path);
  const fail = (status: number, message: string): FakeAnswer => ({
    status,
    body: { status, serviceErrorCode: 100, message },
  });
  if (req.headers.authorization !== `Bearer ${f.token}`) return fail(401, "Invalid access token");
  if (!/^\d{6}$/.test(req.headers["linkedin-version"] ?? ""))
    return fail(426, "LinkedIn-Version header required");
  if (req.headers["x-restli-protocol-version"] !== "2.0.0") f.problem("X-Restli-Protocol-Version missing");
  const camp = m ? f.campaigns.get(m[2]!) : undefined;
  if (!m || !camp) return fail(404, "Not found");
  if (req.method === "GET")
    return {
      status: 200,
      body: {
        id: Number(m[2]),
        account: `urn:li:sponsoredAccount:${m[1]}`,
        status: camp.status,
        ...(camp.budget !== null
          ? { dailyBudget: { amount: camp.budget.toFixed(2), currencyCode: camp.currency } }
          : {}),
      },
    };
  if (req.headers["x-restli-method"] !== "PARTIAL_UPDATE")
    return fail(400, "X-RestLi-Method must be PARTIAL_UPDATE");
  const set =
    isObject(req.body) && isObject(req.body.patch) && isObject(req.body.patch.$set)
      ? req.body.patch.$set
      : null;
  if (!set) return fail(400, "patch.$set required");
  const c: { budget?: number; status?: string } = {};
  if (set.dailyBudget !== undefined) {
    const d = set.dailyBudget;
    if (!isObject(d) || typeof d.amount !== "string" || !/^\d+(\.\d{1,2})?$/.test(d.amount))
      return fail(400, "dailyBudget.amount must be a decimal string");
    if (d.currencyCode !== camp.currency)
      return fail(400, "dailyBudget.currencyCode must be the account's currency");
    c.budget = Number(d.amount);
  }
  if (typeof set.status === "string") c.status = set.status;
  change(f, m[2]!, c);
  return { status: 204 };
}
