/**
 * The attribution report: which platforms, campaigns or ads get the credit for conversions
 * (by event time), under any of the five models. Re-read every 10 s while open.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, credit, money } from "./format.js";
import { onLinkClick } from "./router.js";
import {
  MODELS,
  type AttributionReport,
  type GroupBy,
  type ModelName,
  type WorkspaceSettings,
} from "./types.js";

const GROUPS: { id: GroupBy; label: string }[] = [
  { id: "platform", label: "Platform" },
  { id: "campaign", label: "Campaign" },
  { id: "ad", label: "Ad" },
];
const RANGES = [
  { id: "1d", label: "Last 24 hours", ms: 86_400_000 },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000 },
  { id: "30d", label: "Last 30 days", ms: 30 * 86_400_000 },
  { id: "90d", label: "Last 90 days", ms: 90 * 86_400_000 },
];

export function AttributionTab({ workspaceId, ws }: { workspaceId: string; ws: WorkspaceSettings | null }) {
  const [model, setModel] = useState<ModelName>("last_click");
  const [groupBy, setGroupBy] = useState<GroupBy>("platform");
  const [range, setRange] = useState("30d");
  const [report, setReport] = useState<AttributionReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = () => {
      const span = RANGES.find((r) => r.id === range)!.ms;
      const from = new Date(Date.now() - span).toISOString();
      api
        .get<AttributionReport>(
          `/v1/reports/attribution?model=${model}&group_by=${groupBy}&from=${encodeURIComponent(from)}`,
          workspaceId,
        )
        .then(
          (r) => {
            if (!alive) return;
            setReport(r);
            setError(null);
          },
          (err: unknown) =>
            alive && setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
        );
    };
    load();
    const t = window.setInterval(load, 10_000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [workspaceId, model, groupBy, range]);

  const currency = report?.currency ?? ws?.currency ?? "USD";
  const attributed = report ? report.rows.reduce((s, r) => s + r.conversions, 0) : 0;
  const total = attributed + (report?.unattributed.conversions ?? 0);
  const current = MODELS.find((m) => m.id === model)!;
  const fresh = report && report.model === model && report.group_by === groupBy;

  return (
    <div class="stack">
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Attribution model">
          {MODELS.map((m) => (
            <button
              key={m.id}
              type="button"
              class="seg"
              aria-pressed={m.id === model}
              title={m.hint}
              onClick={() => setModel(m.id)}
            >
              {m.label}
            </button>
          ))}
        </div>
        <div class="toolbar-end">
          <label class="field field-inline">
            <span>Group by</span>
            <select value={groupBy} onChange={(e) => setGroupBy(e.currentTarget.value as GroupBy)}>
              {GROUPS.map((g) => (
                <option key={g.id} value={g.id}>
                  {g.label}
                </option>
              ))}
            </select>
          </label>
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
      <section class="card" aria-labelledby="report-title" aria-busy={!fresh}>
        <div class="card-head">
          <h2 id="report-title">
            {current.label} <span class="muted">by {groupBy}</span>
          </h2>
          <span class="muted small">{current.hint}</span>
        </div>
        {report && report.rows.length === 0 && report.unattributed.conversions === 0 ? (
          <div class="empty empty-inline">
            <h3>No conversions in this period</h3>
            <p>
              Credit goes to the clicks and impressions that led to a conversion. Create tracking links,
              import clicks with <code>POST /v1/clicks</code>, or let the tag capture click ids from ad
              landing pages —{" "}
              <a href={`/w/${encodeURIComponent(workspaceId)}/setup`} onClick={onLinkClick}>
                see setup
              </a>
              .
            </p>
          </div>
        ) : (
          <div class="table-wrap">
            <table class="table report" aria-label={`Attribution by ${groupBy}, ${current.label}`}>
              <thead>
                <tr>
                  <th scope="col">{GROUPS.find((g) => g.id === groupBy)!.label}</th>
                  <th scope="col" class="num">
                    Conversions
                  </th>
                  <th scope="col" class="num">
                    Value
                  </th>
                  <th scope="col" class="share-col">
                    Share
                  </th>
                </tr>
              </thead>
              <tbody>
                {report?.rows.map((r) => (
                  <tr key={r.key}>
                    <th scope="row" class="key-cell">
                      {r.key}
                    </th>
                    <td class="num">{credit(r.conversions)}</td>
                    <td class="num">{money(r.value, currency)}</td>
                    <td class="share-col">
                      <ShareBar part={r.conversions} total={total} />
                    </td>
                  </tr>
                ))}
                {report && report.unattributed.conversions > 0 && (
                  <tr class="row-muted">
                    <th scope="row" class="key-cell">
                      Unattributed
                    </th>
                    <td class="num">{credit(report.unattributed.conversions)}</td>
                    <td class="num">{money(report.unattributed.value, currency)}</td>
                    <td class="share-col">
                      <ShareBar part={report.unattributed.conversions} total={total} muted />
                    </td>
                  </tr>
                )}
              </tbody>
              {report && (
                <tfoot>
                  <tr>
                    <th scope="row">Total</th>
                    <td class="num">{count(Math.round(total * 100) / 100)}</td>
                    <td class="num">
                      {money(
                        report.rows.reduce((s, r) => s + r.value, 0) + report.unattributed.value,
                        currency,
                      )}
                    </td>
                    <td />
                  </tr>
                </tfoot>
              )}
            </table>
          </div>
        )}
        {report && Object.keys(report.other_currencies ?? {}).length > 0 && (
          <p class="small muted pad">
            Also in other currencies (not converted):{" "}
            {Object.entries(report.other_currencies!)
              .map(([cur, v]) => `${credit(v.conversions)} conversions, ${money(v.value, cur)}`)
              .join("; ")}
          </p>
        )}
      </section>
    </div>
  );
}

function ShareBar({ part, total, muted }: { part: number; total: number; muted?: boolean }) {
  const pct = total > 0 ? (part / total) * 100 : 0;
  return (
    <span class="share">
      <span class="share-track" aria-hidden="true">
        <span class={`share-fill${muted ? " share-muted" : ""}`} style={{ width: `${pct.toFixed(1)}%` }} />
      </span>
      <span class="share-pct">{pct.toFixed(pct < 10 ? 1 : 0)}%</span>
    </span>
  );
}
