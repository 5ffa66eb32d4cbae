/** Credit rows as both backends write them, and the conversions list as both build it from them. */
import { MODELS } from "../attribution/index.js";
import type { Credits } from "../commit/tx.js";
import { qualityOfColumns } from "../quality/input.js";
import type { ConversionRow, CreditRow } from "./storage.js";

export interface ConversionEventRow {
  id: string;
  event_name: string;
  event_time: number;
  received_at: number;
  value: number | null;
  currency: string | null;
  quality_score: number | null;
  quality_flags: number | null;
}

export interface CreditDbRow {
  event_ref: string;
  platform: string;
  campaign: string | null;
  ad: string | null;
  touch_time: number;
  credit: number;
}

/** Joins credit rows (ordered by event and position) onto their conversions, in the events' order. */
export function joinCredits(
  rows: readonly ConversionEventRow[],
  creditRows: readonly CreditDbRow[],
): ConversionRow[] {
  const credits = new Map<string, CreditRow[]>();
  for (const c of creditRows) {
    let list = credits.get(c.event_ref);
    if (!list) credits.set(c.event_ref, (list = []));
    list.push({ platform: c.platform, campaign: c.campaign, ad: c.ad, time: c.touch_time, credit: c.credit });
  }
  return rows.map((r) => ({
    id: r.id,
    eventName: r.event_name,
    eventTime: r.event_time,
    receivedAt: r.received_at,
    value: r.value,
    currency: r.currency,
    touches: credits.get(r.id) ?? [],
    quality: qualityOfColumns(r.quality_score, r.quality_flags),
  }));
}

/** event_ref, workspace_id, model, event_time, ord, platform, campaign, ad, touch_time, credit, value, currency, flagged */
export type CreditInsert = [
  string,
  string,
  string,
  number,
  number,
  string,
  string | null,
  string | null,
  number,
  number,
  number | null,
  string | null,
  boolean,
];

/** The `credits` rows of a conversion: every model's list, in order (`ord`), with its value. */
export function creditInserts(
  conversion: {
    id: string;
    workspaceId: string;
    eventTime: number;
    value: number | null;
    currency: string | null;
    /** Its quality decision has flags (a stored conversion: `flagged`; a new one: `quality`). */
    flagged?: boolean;
    quality?: { flags: readonly string[] } | null;
  },
  credits: Credits,
): CreditInsert[] {
  const rows: CreditInsert[] = [];
  const { id, workspaceId, eventTime, value, currency } = conversion;
  const flagged = conversion.flagged ?? (conversion.quality?.flags.length ?? 0) > 0;
  for (const model of MODELS)
    credits[model].forEach((c, i) =>
      rows.push([
        id,
        workspaceId,
        model,
        eventTime,
        i,
        c.platform,
        c.campaign,
        c.ad,
        c.time,
        c.credit,
        value,
        currency,
        flagged,
      ]),
    );
  return rows;
}
