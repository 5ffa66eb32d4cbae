/**
 * Per-key window totals of one workspace, kept in memory so evaluating rules costs no query
 * per conversion. Each distinct (model, group_by, window_hours) of the workspace's rules has a
 * table of keys → totals, loaded from the store (the performance figures of the trailing
 * window) once a minute and whenever rules or spend change, and moved by every conversion
 * that arrives in between. Expiry at the window's far edge is seen at the next load.
 *
 * A conversion's credit meets a row the way the performance report matches (by the
 * platform's campaign or ad id, else by name, case and spaces ignored); an unmatched touch
 * keeps its own string as key. Pure: no I/O.
 */
import type { CreditRow } from "../storage/storage.js";
import type { GroupBy, ModelName } from "../attribution/index.js";
import { NONE_KEY } from "../attribution/report.js";
import { fireKey } from "../storage/rules-store.js";
import type { WindowTotals } from "./evaluate.js";

export interface WindowRow {
  platform: string;
  key: string;
  /** Other strings a touch may name this key by (the platform's id). */
  aliases?: string[];
  /** The platform's campaign id, when spend named it (a rule's `apply` needs it). */
  campaignId?: string | null;
  totals: WindowTotals;
}

export interface WindowEntry {
  platform: string;
  key: string;
  campaignId: string | null;
  totals: WindowTotals;
}

export interface WindowSpec {
  model: ModelName;
  groupBy: GroupBy;
  windowHours: number;
}

export function windowId(s: WindowSpec): string {
  return `${s.model}|${s.groupBy}|${s.windowHours}`;
}

const fold = (s: string) => s.trim().toLowerCase();

export class WindowTable {
  /** fire key (platform, key) → entry. */
  readonly entries = new Map<string, WindowEntry>();
  /** platform → a name or id a touch may use → fire key: no string is built on a hit. */
  private readonly alias = new Map<string, Map<string, string>>();
  /** When its totals were read from the store. */
  loadedAt: number;

  constructor(
    readonly spec: WindowSpec,
    rows: WindowRow[],
    loadedAt: number,
  ) {
    this.loadedAt = loadedAt;
    for (const r of rows) {
      const id = fireKey(r.platform, r.key);
      this.entries.set(id, {
        platform: r.platform,
        key: r.key,
        campaignId: r.campaignId ?? null,
        totals: { ...r.totals },
      });
      this.name(r.platform, r.key, id);
      this.name(r.platform, fold(r.key), id);
      for (const a of r.aliases ?? []) this.name(r.platform, a, id);
    }
  }

  private name(platform: string, name: string, id: string): void {
    let m = this.alias.get(platform);
    if (!m) this.alias.set(platform, (m = new Map<string, string>()));
    if (!m.has(name)) m.set(name, id);
  }

  /** The fire key of the entry a credit of this table's grouping counts for (created when new). */
  entryFor(c: Pick<CreditRow, "platform" | "campaign" | "ad">): string {
    const g = this.spec.groupBy;
    const raw = g === "platform" ? c.platform : ((g === "campaign" ? c.campaign : c.ad) ?? NONE_KEY);
    const names = this.alias.get(c.platform);
    let id = names?.get(raw);
    if (id === undefined) {
      id = names?.get(fold(raw));
      if (id === undefined) {
        id = fireKey(c.platform, raw);
        this.entries.set(id, {
          platform: c.platform,
          key: raw,
          campaignId: null,
          totals: { spend: 0, impressions: 0, clicks: 0, conversions: 0, value: 0 },
        });
        this.name(c.platform, fold(raw), id);
      }
      this.name(c.platform, raw, id);
    }
    return id;
  }

  /**
   * Adds a conversion's credits (of this table's model); returns the keys it moved.
   * `conversions` is 1 for a new conversion, 0 for an update of one already counted.
   */
  add(credits: readonly CreditRow[], conversions: number, value: number): string[] {
    const moved: string[] = [];
    for (const c of credits) {
      const id = this.entryFor(c);
      const t = this.entries.get(id)!.totals;
      t.conversions += c.credit * conversions;
      t.value += c.credit * value;
      if (!moved.includes(id)) moved.push(id);
    }
    return moved;
  }
}
