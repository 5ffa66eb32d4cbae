/**
 * Which destinations of a workspace take rules' signals: webhooks whose config says
 * `signals: true`. Read from the database each time a rule fires (signals are rare), so a
 * webhook created on any node a moment before gets the signal.
 */
import type { Cipher } from "../security/cipher.js";
import type { Store } from "../storage/storage.js";
import { parseConfig } from "./config-schema.js";

export async function signalDestinations(
  store: Store,
  cipher: Cipher,
  workspaceId: string,
): Promise<string[]> {
  const out: string[] = [];
  for (const d of await store.listDestinations(workspaceId)) {
    if (d.type !== "webhook") continue;
    try {
      const parsed = parseConfig("webhook", JSON.parse(cipher.decrypt(d.configEnc)) as unknown);
      if (parsed.ok && parsed.config.type === "webhook" && parsed.config.signals) out.push(d.id);
    } catch {
      // A config this key cannot open is skipped here as forwarding skips it.
    }
  }
  return out;
}
