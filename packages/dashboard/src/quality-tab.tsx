/**
 * The Quality view: how much of each campaign's (platform's, ad's) traffic was flagged, the
 * flagged share over time as a chart, and the most frequent addresses (a truncated key, never
 * an address) and user agents of flagged traffic. Re-read every 10 s while open.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, credit } from "./format.js";
import { FlaggedShareChart } from "./quality-chart.js";
import { QUALITY_FLAGS, type GroupBy, type QualityReport, type WorkspaceSettings } from "./types.js";

const GROUPS: { id: GroupBy; label: string }[] = [
  { id: "campaign", label: "Campaign" },
  { id: "platform", label: "Platform" },
  { id: "ad", label: "Ad" },
];
const RANGES = [
  { id: "1d", label: "Last 24 hours", ms: 86_400_000, bucket: "hour" },
  { id: "7d", label: "Last 7 days", ms: 7 * 86_400_000, bucket: "day" },
  { id: "30d", label: "Last 30 days", ms: 30 * 86_400_000, bucket: "day" },
] as const;

const pct = (part: number, whole: number) => (whole > 0 ? `${Math.round((part / whole) * 100)}%` : "—");

export function QualityTab({ workspaceId, ws }: { workspaceId: string; ws: WorkspaceSettings | null }) {
  const [groupBy, setGroupBy] = useState<GroupBy>("campaign");
  const [range, setRange] = useState<(typeof RANGES)[number]["id"]>("1d");
  const [report, setReport] = useState<QualityReport | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let alive = true;
    const load = () => {
      const r = RANGES.find((x) => x.id === range)!;
      const from = new Date(Date.now() - r.ms).toISOString();
      api
        .get<QualityReport>(
          `/v1/reports/quality?group_by=${groupBy}&bucket=${r.bucket}&from=${encodeURIComponent(from)}`,
          workspaceId,
        )
        .then(
          (x) => {
            if (!alive) return;
            setReport(x);
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
  }, [workspaceId, groupBy, range]);

  const rows = report?.group_by === groupBy ? report.rows : [];
  return (
    <div class="stack">
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Group by">
          {GROUPS.map((g) => (
            <button
              key={g.id}
              type="button"
              class="seg"
              aria-pressed={g.id === groupBy}
              onClick={() => setGroupBy(g.id)}
            >
              {g.label}
            </button>
          ))}
        </div>
        <label class="small">
          Period{" "}
          <select
            value={range}
            onChange={(e) => setRange((e.target as HTMLSelectElement).value as typeof range)}
          >
            {RANGES.map((r) => (
              <option key={r.id} value={r.id}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        {ws && (
          <span class="muted small">
            Flagged conversions are {ws.flagged_conversions === "exclude" ? "left out of" : "counted in"}{" "}
            reports (Setup).
          </span>
        )}
      </div>
      {error && (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      )}
      {report && (
        <FlaggedShareChart
          points={report.series}
          keys={rows.map((r) => r.key)}
          from={Math.floor((Date.now() - RANGES.find((x) => x.id === range)!.ms) / 3_600_000) * 3_600_000}
        />
      )}
      <section class="card" aria-labelledby="quality-rows-title">
        <div class="card-head">
          <h2 id="quality-rows-title">Flagged traffic by {groupBy}</h2>
        </div>
        <div class="table-wrap">
          <table class="table quality-table" aria-label={`Flagged traffic by ${groupBy}`}>
            <thead>
              <tr>
                <th scope="col">{GROUPS.find((g) => g.id === groupBy)!.label}</th>
                <th scope="col" class="num">
                  Clicks
                </th>
                <th scope="col" class="num">
                  Flagged
                </th>
                <th scope="col" class="num">
                  Conversions
                </th>
                <th scope="col" class="num">
                  Flagged
                </th>
                <th scope="col">Flags</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.key}>
                  <th scope="row">{r.key}</th>
                  <td class="num">{count(r.clicks)}</td>
                  <td class="num">
                    {count(r.flagged_clicks)}{" "}
                    <span class="muted small">{pct(r.flagged_clicks, r.clicks)}</span>
                  </td>
                  <td class="num">{credit(r.conversions)}</td>
                  <td class="num">
                    {credit(r.flagged_conversions)}{" "}
                    <span class="muted small">{pct(r.flagged_conversions, r.conversions)}</span>
                  </td>
                  <td>
                    {QUALITY_FLAGS.filter((f) => r.flags[f] > 0).map((f) => (
                      <span key={f} class="flag" title={`${r.flags[f]} with ${f}`}>
                        {f} {credit(r.flags[f])}
                      </span>
                    ))}
                  </td>
                </tr>
              ))}
              {report && rows.length === 0 && (
                <tr>
                  <td colSpan={6} class="muted">
                    No clicks or conversions in this period.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      </section>
      <div class="quality-top">
        <section class="card" aria-labelledby="top-addresses-title">
          <div class="card-head">
            <h2 id="top-addresses-title">Top flagged addresses</h2>
            <span
              class="muted small"
              title="An HMAC of the address (or its IPv6 /64), truncated: never the address"
            >
              keyed, never an IP
            </span>
          </div>
          <ol class="top-list" aria-label="Top flagged addresses">
            {(report?.top.addresses ?? []).map((a) => (
              <li key={a.key}>
                <code>{a.key}</code> <span class="muted">{count(a.count)}</span>
              </li>
            ))}
          </ol>
        </section>
        <section class="card" aria-labelledby="top-agents-title">
          <div class="card-head">
            <h2 id="top-agents-title">Top flagged user agents</h2>
          </div>
          <ol class="top-list" aria-label="Top flagged user agents">
            {(report?.top.user_agents ?? []).map((u) => (
              <li key={u.user_agent}>
                <code class="ua">{u.user_agent}</code> <span class="muted">{count(u.count)}</span>
              </li>
            ))}
          </ol>
        </section>
      </div>
    </div>
  );
}
