/**
 * Budget and status changes of a campaign through a platform's API (rules that `apply` their
 * signals). Per platform, four pure functions — read the campaign's daily budget, change it
 * or pause the campaign — build requests and read answers; `rules/apply-signal.ts` sends them
 * with the policy-bound HTTP client. Facts: platform-apis decisions A3 (Google), B (Meta),
 * C (TikTok), D (LinkedIn).
 */
import type { HttpAnswer, HttpRequest } from "./types.js";

/** The credentials and account of a spend source (its config), as far as budget calls need them. */
export interface BudgetCredentials {
  type: "meta" | "google_ads" | "tiktok" | "linkedin";
  endpoint: string | null;
  access_token: string | null;
  timeout_ms: number;
  /** meta */
  ad_account_id?: string;
  api_version?: string;
  /** google_ads */
  customer_id?: string;
  developer_token?: string;
  login_customer_id?: string | null;
  client_id?: string | null;
  client_secret?: string | null;
  refresh_token?: string | null;
  token_endpoint?: string | null;
  /** tiktok */
  advertiser_id?: string;
  /** linkedin */
  account_id?: string;
  version?: string;
}

export type BudgetChangeRequest =
  { kind: "set_daily_budget"; amount: number; ref: string | null } | { kind: "pause" };

/** The campaign's daily budget in the account currency's major units (null: none on the campaign). */
export type BudgetRead =
  { ok: true; dailyBudget: number | null; currency: string | null; ref: string | null } | BudgetFailure;

export type BudgetFailure = {
  ok: false;
  retry: boolean;
  code: number | null;
  error: string;
  retryAfterMs?: number;
};

export type BudgetWrite = { ok: true; code: number } | BudgetFailure;

export type Response = HttpAnswer & { kind: "response" };

export interface BudgetClient {
  readRequest(c: BudgetCredentials, campaignId: string): HttpRequest;
  parseRead(res: Response, c: BudgetCredentials): BudgetRead;
  writeRequest(
    c: BudgetCredentials,
    campaignId: string,
    change: BudgetChangeRequest,
    read: { currency: string | null },
  ): HttpRequest;
  parseWrite(res: Response): BudgetWrite;
}

/** 2xx taken; 408, 429 and 5xx retried (after `Retry-After`, capped); anything else refused. */
export function failureOf(res: Response, what: string): BudgetFailure {
  const retry = res.status === 408 || res.status === 429 || res.status >= 500;
  const ra = Number(res.headers["retry-after"]);
  return {
    ok: false,
    retry,
    code: res.status,
    error: `${what} answered ${res.status}: ${res.text.slice(0, 300)}`,
    ...(Number.isFinite(ra) && ra > 0 ? { retryAfterMs: Math.min(ra, 600) * 1000 } : {}),
  };
}

export function json(text: string): Record<string, unknown> | null {
  try {
    const v = JSON.parse(text) as unknown;
    return typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
