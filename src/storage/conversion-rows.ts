/** The conversions list as both backends build it: event rows joined with their credit rows. */
import type { ConversionRow, CreditRow } from "./storage.js";

export interface ConversionEventRow {
  id: string;
  event_name: string;
  event_time: number;
  received_at: number;
  value: number | null;
  currency: string | null;
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
  }));
}
