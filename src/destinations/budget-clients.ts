/** The budget client of each spend source type, and loading a source's credentials for it. */
import type { Cipher } from "../security/cipher.js";
import type { Store } from "../storage/storage.js";
import type { BudgetClient, BudgetCredentials } from "./budget-client.js";
import { googleBudget } from "./google-ads/google-budget.js";
import { linkedinBudget } from "./linkedin/linkedin-budget.js";
import { metaBudget } from "./meta/meta-budget.js";
import { tiktokBudget } from "./tiktok/tiktok-budget.js";

export const BUDGET_CLIENTS: Record<BudgetCredentials["type"], BudgetClient> = {
  meta: metaBudget,
  google_ads: googleBudget,
  tiktok: tiktokBudget,
  linkedin: linkedinBudget,
};

/** The platform a source type's campaigns are on, as touches and spend name it. */
export const PLATFORM_OF_SOURCE: Record<BudgetCredentials["type"], string> = {
  meta: "meta",
  google_ads: "google",
  tiktok: "tiktok",
  linkedin: "linkedin",
};

/** A spend source's sealed config, opened for a budget call; null when unknown or unreadable. */
export async function budgetCredentials(
  store: Store,
  cipher: Cipher,
  workspaceId: string,
  sourceId: string,
): Promise<BudgetCredentials | null> {
  const rec = await store.spend.getSource(workspaceId, sourceId);
  if (!rec) return null;
  try {
    const config = JSON.parse(cipher.decrypt(rec.configEnc)) as Partial<BudgetCredentials>;
    return { endpoint: null, access_token: null, timeout_ms: 10_000, ...config, type: rec.type };
  } catch {
    return null;
  }
}
