/**
 * The Reconciliation view: CRM orders against tracked conversions per month (GET
 * /v1/reports/reconciliation?group_by=month), the match rate per day as a chart, and a
 * drill-down of a month's missing orders and unconfirmed conversions (ids, times and values
 * only; GET /v1/reports/reconciliation/orders). Re-read every 30 s and when an adjustment or a
 * conversion arrives on the live feed.
 */
import { useEffect, useMemo, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, dateTime, money, percent } from "./format.js";
import { MatchRateChart, type RatePoint } from "./match-rate-chart.js";
import type { WorkspaceSettings } from "./types.js";
import type { WorkspaceLive } from "./workspace-live.js";

interface Figures {
  crm: { orders: number; value: number };
  tracked: { conversions: number; value: number };
  matched: { orders: number; crm_value: number; tracked_value: number };
  missing: { orders: number; value: number };
  unconfirmed: { conversions: number; value: number };
  value_mismatch: { orders: number; difference: number };
  refunded: { orders: number; value: number };
  match_rate: number | null;
}
interface Report extends Figures {
  currency: string;
  rows: (Figures & { key: string })[];
}
interface DrillRow {
  order_id: string | null;
  conversion_id: string | null;
  time: string;
  value: number | null;
  currency: string | null;
}

const RANGES = [
  { id: "3", label: "Last 3 months", months: 3 },
  { id: "6", label: "Last 6 months", months: 6 },
  { id: "12", label: "Last 12 months", months: 12 },
];

/** The first day (UTC) of the month `back` months before now's. */
function monthStart(back: number, now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - back, 1));
}

/** [from, to) of a month key YYYY-MM (UTC). */
function monthRange(key: string): { from: string; to: string } {
  const [y, m] = key.split("-").map(Number) as [number, number];
  return {
    from: new Date(Date.UTC(y, m - 1, 1)).toISOString(),
    to: new Date(Date.UTC(y, m, 1)).toISOString(),
  };
}

export function ReconciliationTab({
  workspaceId,
  ws,
  live,
}: {
  workspaceId: string;
  ws: WorkspaceSettings | null;
  live: WorkspaceLive;
}) {
  const [range, setRange] = useState("3");
  const [eventName, setEventName] = useState("Purchase");
  const [monthly, setMonthly] = useState<Report | null>(null);
  const [daily, setDaily] = useState<Report | null>(null);
  const [month, setMonth] = useState<string | null>(null);
  const [missing, setMissing] = useState<DrillRow[] | null>(null);
  const [unconfirmed, setUnconfirmed] = useState<DrillRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    const t = window.setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(t);
  }, []);
  useEffect(() => {
    if (live.lastConversionAt === null) return;
    const t = window.setTimeout(() => setTick((n) => n + 1), 500);
    return () => clearTimeout(t);
  }, [live.lastConversionAt]);

  const months = RANGES.find((r) => r.id === range)!.months;
  useEffect(() => {
    let alive = true;
    const from = monthStart(months - 1).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const q = (g: string) =>
      `/v1/reports/reconciliation?${new URLSearchParams({ from, to, group_by: g, event_name: eventName || "Purchase" })}`;
    Promise.all([api.get<Report>(q("month"), workspaceId), api.get<Report>(q("day"), workspaceId)]).then(
      ([m, d]) => {
        if (!alive) return;
        setMonthly(m);
        setDaily(d);
        setError(null);
      },
      (err: unknown) =>
        alive && setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
    );
    return () => {
      alive = false;
    };
  }, [workspaceId, months, eventName, tick]);

  useEffect(() => {
    if (!month) return;
    let alive = true;
    const { from, to } = monthRange(month);
    const q = (kind: string) =>
      `/v1/reports/reconciliation/orders?${new URLSearchParams({ from, to, kind, limit: "200", event_name: eventName || "Purchase" })}`;
    Promise.all([
      api.get<{ data: DrillRow[] }>(q("missing"), workspaceId),
      api.get<{ data: DrillRow[] }>(q("unconfirmed"), workspaceId),
    ]).then(
      ([a, b]) => {
        if (!alive) return;
        setMissing(a.data);
        setUnconfirmed(b.data);
      },
      (err: unknown) =>
        alive && setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
    );
    return () => {
      alive = false;
    };
  }, [workspaceId, month, eventName, tick]);

  const currency = monthly?.currency ?? ws?.currency ?? "USD";
  // Every day of the period, a gap where there were no CRM orders, so the axis spans the period.
  const points = useMemo<RatePoint[]>(() => {
    const byDay = new Map((daily?.rows ?? []).map((r) => [r.key, r.match_rate]));
    const out: RatePoint[] = [];
    for (let d = monthStart(months - 1).getTime(); d <= Date.now(); d += 86_400_000)
      out.push({ start: d, rate: byDay.get(new Date(d).toISOString().slice(0, 10)) ?? null });
    return out;
  }, [daily, months]);
  const diff = (n: number) => `${n > 0 ? "+" : ""}${money(n, currency)}`;

  return (
    <div class="stack">
      <div class="toolbar">
        <label class="field field-inline">
          <span>Conversion</span>
          <input value={eventName} size={12} onChange={(e) => setEventName(e.currentTarget.value)} />
        </label>
        <div class="toolbar-end">
          <label class="field field-inline">
            <span>Period</span>
            <select value={range} onChange={(e) => setRange(e.currentTarget.value)}>
              {RANGES.map((r) => (
                <option key={r.id} value={r.id}>
                  {r.label}
                </option>
              ))}
            </select>
          </label>
        </div>
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      <MatchRateChart points={points} />
      <section class="card" aria-labelledby="recon-title">
        <div class="card-head">
          <h2 id="recon-title">
            CRM orders against tracked conversions <span class="muted">by month</span>
          </h2>
          <span class="muted small">
            Tracked values as sent, before adjustments. Select a month for its orders.
          </span>
        </div>
        {monthly && monthly.rows.length === 0 ? (
          <div class="empty empty-inline">
            <h3>No CRM orders and no conversions in this period</h3>
            <p>
              Send orders with <code>POST /v1/crm/orders</code> or import a CSV with{" "}
              <code>tally import crm</code>.
            </p>
          </div>
        ) : (
          <div class="table-wrap">
            <table class="table report" aria-label="Reconciliation by month">
              <thead>
                <tr>
                  <th scope="col">Month</th>
                  <th scope="col" class="num">
                    CRM orders
                  </th>
                  <th scope="col" class="num">
                    CRM value
                  </th>
                  <th scope="col" class="num">
                    Tracked
                  </th>
                  <th scope="col" class="num">
                    Matched
                  </th>
                  <th scope="col" class="num">
                    Missing
                  </th>
                  <th scope="col" class="num">
                    Unconfirmed
                  </th>
                  <th scope="col" class="num">
                    Value mismatch
                  </th>
                  <th scope="col" class="num">
                    Refunded
                  </th>
                  <th scope="col" class="num">
                    Match rate
                  </th>
                </tr>
              </thead>
              <tbody>
                {(monthly?.rows ?? []).map((r) => (
                  <tr key={r.key} data-key={r.key} aria-selected={r.key === month}>
                    <th scope="row" class="key-cell">
                      <button type="button" class="link" onClick={() => setMonth(r.key)}>
                        {r.key}
                      </button>
                    </th>
                    <td class="num" data-col="crm">
                      {count(r.crm.orders)}
                    </td>
                    <td class="num">{money(r.crm.value, currency)}</td>
                    <td class="num" data-col="tracked">
                      {count(r.tracked.conversions)}
                    </td>
                    <td class="num" data-col="matched">
                      {count(r.matched.orders)}
                    </td>
                    <td class="num" data-col="missing">
                      {count(r.missing.orders)}{" "}
                      <span class="muted small">{money(r.missing.value, currency)}</span>
                    </td>
                    <td class="num" data-col="unconfirmed">
                      {count(r.unconfirmed.conversions)}{" "}
                      <span class="muted small">{money(r.unconfirmed.value, currency)}</span>
                    </td>
                    <td class="num" data-col="mismatch">
                      {count(r.value_mismatch.orders)}{" "}
                      <span class="muted small">{diff(r.value_mismatch.difference)}</span>
                    </td>
                    <td class="num" data-col="refunded">
                      {count(r.refunded.orders)}
                    </td>
                    <td class="num" data-col="rate">
                      {percent(r.match_rate)}
                    </td>
                  </tr>
                ))}
              </tbody>
              {monthly && (
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td class="num">{count(monthly.crm.orders)}</td>
                    <td class="num">{money(monthly.crm.value, currency)}</td>
                    <td class="num">{count(monthly.tracked.conversions)}</td>
                    <td class="num">{count(monthly.matched.orders)}</td>
                    <td class="num">{count(monthly.missing.orders)}</td>
                    <td class="num">{count(monthly.unconfirmed.conversions)}</td>
                    <td class="num">{diff(monthly.value_mismatch.difference)}</td>
                    <td class="num">{count(monthly.refunded.orders)}</td>
                    <td class="num">{percent(monthly.match_rate)}</td>
                  </tr>
                </tfoot>
              )}
            </table>
          </div>
        )}
      </section>
      {month && (
        <section class="card" aria-labelledby="drill-title">
          <div class="card-head">
            <h2 id="drill-title">
              {month} <span class="muted">missing orders and unconfirmed conversions</span>
            </h2>
            <span class="muted small">Ids, times and values only.</span>
          </div>
          <div class="drill">
            <DrillList
              label={`Missing orders in ${month}`}
              hint="In the CRM, never tracked: the tag missed them."
              rows={missing}
              idOf={(r) => r.order_id ?? ""}
              currency={currency}
            />
            <DrillList
              label={`Unconfirmed conversions in ${month}`}
              hint="Tracked, but no CRM order has their order id: test orders, or an id the CRM does not know."
              rows={unconfirmed}
              idOf={(r) => r.order_id ?? `${r.conversion_id} (no order id)`}
              currency={currency}
            />
          </div>
        </section>
      )}
    </div>
  );
}

function DrillList({
  label,
  hint,
  rows,
  idOf,
  currency,
}: {
  label: string;
  hint: string;
  rows: DrillRow[] | null;
  idOf: (r: DrillRow) => string;
  currency: string;
}) {
  return (
    <div>
      <h3>{label}</h3>
      <p class="muted small">{hint}</p>
      {rows && rows.length === 0 ? (
        <p class="muted small">None.</p>
      ) : (
        <table class="table" aria-label={label}>
          <thead>
            <tr>
              <th scope="col">Order</th>
              <th scope="col">Time</th>
              <th scope="col" class="num">
                Value
              </th>
            </tr>
          </thead>
          <tbody>
            {(rows ?? []).map((r) => (
              <tr key={`${r.order_id}|${r.conversion_id}`}>
                <td class="key-cell">{idOf(r)}</td>
                <td>{dateTime(r.time)}</td>
                <td class="num">{money(r.value, r.currency ?? currency)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
