/**
 * assign: an event that names an experiment and a variant (`custom_data.experiment`,
 * `custom_data.variant`) exposes its person to that variant; the person's first exposure per
 * experiment is the one that counts (the transaction keeps the earlier). Test events and
 * events without identifiers expose no one.
 */
import { exposureOf } from "../../experiments/names.js";
import type { CommitItem, CommitTx } from "../tx.js";

export async function assign(tx: CommitTx, item: CommitItem, person: string | null): Promise<void> {
  const ev = item.event;
  if (person === null || ev.testEventCode !== null) return;
  const exposure = exposureOf(ev.customData);
  if (exposure)
    await tx.recordExposure(ev.workspaceId, exposure.experiment, exposure.variant, person, ev.eventTime);
}
