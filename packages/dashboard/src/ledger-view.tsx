/**
 * One conversion's whole story (GET /v1/conversions/{id}), opened from a row of the live feed
 * at `/w/<id>/conversions/<conversion id>`: every arrival, the identity kinds (never values),
 * attribution, quality, match quality with its problems, adjustments, and each destination's
 * attempts, status code and latency — "did Meta get this order, and why not?".
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, dateTime, money, ms } from "./format.js";
import { MatchQualityPanel } from "./match-quality.js";
import { hrefOf, onLinkClick } from "./router.js";
import type { Ledger } from "./types.js";

const ARRIVAL_LABEL: Record<string, string> = {
  accepted: "Accepted",
  duplicate: "Duplicate (counted once)",
  superseded: "Superseded by the server's copy",
};

export function LedgerView({ workspaceId, conversionId }: { workspaceId: string; conversionId: string }) {
  const [ledger, setLedger] = useState<Ledger | null>(null);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setLedger(null);
    setError(null);
    api
      .get<Ledger>(`/v1/conversions/${encodeURIComponent(conversionId)}`, workspaceId)
      .then(setLedger, (err) =>
        setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
      );
    api
      .get<{ data: { id: string; name: string }[] }>("/v1/destinations", workspaceId)
      .then((r) => setNames(new Map(r.data.map((d) => [d.id, d.name]))))
      .catch(() => undefined);
  }, [workspaceId, conversionId]);

  const back = hrefOf({ view: "workspace", workspaceId, tab: "live" });
  return (
    <section class="stack ledger" aria-labelledby="ledger-title">
      <nav class="small">
        <a href={back} onClick={onLinkClick}>
          ← Back to the live feed
        </a>
      </nav>
      {error ? (
        <p class="banner banner-error" role="alert">
          {error}
        </p>
      ) : !ledger ? (
        <div class="loading" aria-busy="true">
          Loading…
        </div>
      ) : (
        <LedgerBody ledger={ledger} names={names} />
      )}
    </section>
  );
}

function LedgerBody({ ledger: l, names }: { ledger: Ledger; names: Map<string, string> }) {
  const delivered = l.deliveries.filter((d) => d.status === "delivered").length;
  return (
    <>
      <div class="card pad-lg">
        <h2 id="ledger-title">
          {l.event_name} <span class="muted">{l.value === null ? "" : money(l.value, l.currency)}</span>
        </h2>
        <dl class="ledger-facts">
          <dt>Happened (event time)</dt>
          <dd>{dateTime(l.event_time)}</dd>
          <dt>Arrived at Tally</dt>
          <dd>
            {dateTime(l.received_at)}{" "}
            <span class="muted">
              ({ms(Date.parse(l.received_at) - Date.parse(l.event_time))} after it happened)
            </span>
          </dd>
          <dt>event_id</dt>
          <dd>
            <code>{l.event_id ?? "—"}</code>
          </dd>
          <dt>order_id</dt>
          <dd>
            <code>{l.order_id ?? "—"}</code>
          </dd>
          <dt>Tally id</dt>
          <dd>
            <code>{l.id}</code>
          </dd>
          <dt>Sent to</dt>
          <dd>
            {l.deliveries.length === 0
              ? "no destination"
              : `${delivered} of ${l.deliveries.length} destination${l.deliveries.length === 1 ? "" : "s"} accepted it`}
          </dd>
        </dl>
      </div>

      <div class="ledger-grid">
        <section class="card pad-lg" aria-labelledby="arrivals-title">
          <h3 id="arrivals-title">Arrivals</h3>
          <table class="table ledger-arrivals">
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Received</th>
                <th scope="col">event_id</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {l.arrivals.map((a, i) => (
                <tr key={i}>
                  <td>{a.source}</td>
                  <td class="nowrap">{dateTime(a.received_at)}</td>
                  <td>
                    <code>{a.event_id ?? "—"}</code>
                  </td>
                  <td>{ARRIVAL_LABEL[a.status] ?? a.status}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>

        <section class="card pad-lg" aria-labelledby="identity-title">
          <h3 id="identity-title">Identity</h3>
          <p class="small">
            Linked by {count(l.identity.identifiers)} identifier{l.identity.identifiers === 1 ? "" : "s"}
            {l.identity.kinds.length > 0 && ": "}
            {l.identity.kinds.map((k) => (
              <code key={k} class="chip-static">
                {k}
              </code>
            ))}
          </p>
          <p class="muted small">Kinds only: Tally never shows the values.</p>
          <MatchQualityPanel mq={l.match_quality} />
        </section>

        <section class="card pad-lg" aria-labelledby="attr-title">
          <h3 id="attr-title">Attribution ({l.attribution.model.replace(/_/g, " ")})</h3>
          {l.attribution.touches.length === 0 ? (
            <p class="muted small">Unattributed: no click or view in its windows.</p>
          ) : (
            <table class="table">
              <thead>
                <tr>
                  <th scope="col">Platform</th>
                  <th scope="col">Campaign · ad</th>
                  <th scope="col">Touch</th>
                  <th scope="col" class="num">
                    Credit
                  </th>
                </tr>
              </thead>
              <tbody>
                {l.attribution.touches.map((t, i) => (
                  <tr key={i}>
                    <td>{t.platform}</td>
                    <td>{[t.campaign, t.ad].filter(Boolean).join(" · ") || "—"}</td>
                    <td class="nowrap">{dateTime(t.time)}</td>
                    <td class="num">{Math.round(t.credit * 100)}%</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>

        <section class="card pad-lg" aria-labelledby="quality-title">
          <h3 id="quality-title">Traffic quality and adjustments</h3>
          {l.quality ? (
            <p class="small ledger-quality">
              Score <strong>{l.quality.score}/100</strong>
              {l.quality.flags.length > 0 ? (
                <>
                  {" · flagged: "}
                  {l.quality.flags.map((f) => (
                    <span key={f} class="flag">
                      {f}
                    </span>
                  ))}
                </>
              ) : (
                " · no flags"
              )}
            </p>
          ) : (
            <p class="muted small">No traffic-quality verdict on this conversion.</p>
          )}
          {l.adjustments.length === 0 ? (
            <p class="muted small">No adjustments (refunds, corrected values).</p>
          ) : (
            <pre class="json">{JSON.stringify(l.adjustments, null, 2)}</pre>
          )}
        </section>
      </div>

      <section class="card" aria-labelledby="deliveries-title">
        <div class="card-head">
          <h3 id="deliveries-title">Destinations</h3>
        </div>
        {l.deliveries.length === 0 ? (
          <p class="muted small pad">No destination takes this event.</p>
        ) : (
          <div class="table-wrap">
            <table class="table ledger-deliveries">
              <thead>
                <tr>
                  <th scope="col">Destination</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="num">
                    Attempts
                  </th>
                  <th scope="col" class="num">
                    Last status code
                  </th>
                  <th scope="col" class="num">
                    Latency
                  </th>
                  <th scope="col">Delivered</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {l.deliveries.map((d) => (
                  <tr key={d.destination_id} data-status={d.status}>
                    <td>
                      {names.get(d.destination_id) ?? d.destination_id} <span class="muted">({d.type})</span>
                    </td>
                    <td>
                      <span class={`delivery delivery-${d.status}`}>{d.status}</span>
                    </td>
                    <td class="num">{d.attempts}</td>
                    <td class="num">{d.last_status_code ?? "—"}</td>
                    <td class="num" title="From arrival at Tally to the platform's acceptance">
                      {ms(d.latency_ms)}
                    </td>
                    <td class="nowrap">{d.delivered_at ? dateTime(d.delivered_at) : "—"}</td>
                    <td class="break">{d.last_error ?? ""}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </>
  );
}
