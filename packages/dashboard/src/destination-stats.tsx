/**
 * Destinations at a glance (GET /v1/destinations/stats, last 24 hours): what was sent, what
 * each platform accepted, how fast, and the average match quality of what it received — the
 * number that says whether the platform can tie conversions to people.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, ms, percent } from "./format.js";
import { scoreTone } from "./match-quality.js";
import type { DestinationStats } from "./types.js";

export function DestinationStatsPanel({ workspaceId }: { workspaceId: string }) {
  const [rows, setRows] = useState<DestinationStats[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    const load = () =>
      api.get<{ data: DestinationStats[] }>("/v1/destinations/stats", workspaceId).then(
        (r) => setRows(r.data),
        (err: unknown) => setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
      );
    void load();
    const t = window.setInterval(() => void load(), 15_000);
    return () => clearInterval(t);
  }, [workspaceId]);

  return (
    <section class="card pad-lg wide" aria-labelledby="dest-title">
      <h2 id="dest-title">Destinations</h2>
      <p class="muted">
        Last 24 hours. Match quality (0–10) is how well the platform can match the events it received to
        people: an email, a phone with its country, a click id, IP and user agent raise it.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {rows === null ? (
        !error && (
          <div class="loading" aria-busy="true">
            Loading…
          </div>
        )
      ) : rows.length === 0 ? (
        <p class="muted small">
          No destinations yet: add one with <code>POST /v1/destinations</code> (Meta, Google Ads, LinkedIn,
          TikTok or a webhook).
        </p>
      ) : (
        <div class="table-wrap">
          <table class="table dest-stats">
            <thead>
              <tr>
                <th scope="col">Destination</th>
                <th scope="col" class="num">
                  Sent
                </th>
                <th scope="col" class="num">
                  Delivered
                </th>
                <th scope="col" class="num">
                  Failed / dead
                </th>
                <th scope="col" class="num">
                  Pending
                </th>
                <th scope="col" class="num">
                  Accepted
                </th>
                <th scope="col" class="num">
                  Latency p50 / p95
                </th>
                <th scope="col" class="num">
                  Match quality
                </th>
                <th scope="col">Last error</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id} data-destination={d.id}>
                  <th scope="row">
                    {d.name} <span class="muted">({d.type})</span>
                  </th>
                  <td class="num">{count(d.sent)}</td>
                  <td class="num">{count(d.delivered)}</td>
                  <td class="num">
                    {count(d.failed)} / {count(d.dead)}
                  </td>
                  <td class="num">{count(d.pending)}</td>
                  <td class="num">{percent(d.acceptance_rate)}</td>
                  <td class="num nowrap">
                    {ms(d.latency_ms_p50)} / {ms(d.latency_ms_p95)}
                  </td>
                  <td class="num mq-avg">
                    {d.match_quality_avg === null ? (
                      <span class="muted">—</span>
                    ) : (
                      <span class={`mq-score mq-${scoreTone(d.match_quality_avg)}`}>
                        {d.match_quality_avg.toFixed(1)}/10
                      </span>
                    )}
                  </td>
                  <td class="break small">{d.last_error ?? ""}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
