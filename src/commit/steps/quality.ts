/**
 * quality: the traffic-quality decision of a conversion (quality/), after attribute and before
 * persist. Its identity is the person identify linked it to; `too_fast` compares its event
 * time with the last click attributed to it (last click model); the counters are the
 * transaction's, so on PostgreSQL several nodes count one burst together. A flag never
 * rejects anything: the decision is stored with the event and travels with it. Duplicates
 * never reach this step (they count once), and test events are not judged (they count nowhere).
 */
import { conversionQuality } from "../../quality/input.js";
import type { Quality } from "../../quality/flags.js";
import type { CommitItem, CommitTx, Credits } from "../tx.js";

export async function quality(
  tx: CommitTx,
  item: CommitItem,
  person: string | null,
  credits: Credits | null,
): Promise<Quality | null> {
  const ev = item.event;
  const input = ev.qualityInput;
  if (!item.windows || ev.testEventCode !== null || !input) return null;
  const last = credits?.last_click[0];
  const q = await conversionQuality(
    tx,
    ev.workspaceId,
    input,
    person ?? firstIdentifier(item),
    last ? ev.eventTime - last.time : null,
    ev.receivedAt,
  );
  ev.quality = q;
  return q;
}

/** Without a person (no identifier at all) nobody is counted; kept apart from persons' keys. */
function firstIdentifier(item: CommitItem): string | null {
  const i = item.event.identifiers[0];
  return i ? `i:${i.kind}:${i.value}` : null;
}

/** Whether the workspace keeps this conversion out of forwarding, reports and metrics totals. */
export function isExcluded(item: CommitItem): boolean {
  const ev = item.event;
  return (
    ev.qualityInput?.settings.flaggedConversions === "exclude" && (ev.quality?.flags.length ?? 0) > 0
  );
}
