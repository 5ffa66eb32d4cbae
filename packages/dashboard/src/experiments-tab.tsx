/**
 * Experiments: the variants of one experiment side by side — visitors, conversion rate, lift,
 * the 95% interval of the difference drawn as a bar around zero, the p-value and the
 * probability to beat the control. Re-read when a conversion arrives on the live feed (at most
 * twice a second) and every 10 s.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { count, money } from "./format.js";
import type { ExperimentReport, ExperimentSummary, VariantReport, WorkspaceSettings } from "./types.js";
import type { WorkspaceLive } from "./workspace-live.js";

const pct = (n: number | null, digits = 1) => (n === null ? "—" : `${(n * 100).toFixed(digits)}%`);
const signed = (n: number | null) => (n === null ? "—" : `${n > 0 ? "+" : ""}${(n * 100).toFixed(1)}%`);
const pValue = (p: number | null) => (p === null ? "—" : p < 0.0001 ? "< 0.0001" : p.toFixed(4));

export function ExperimentsTab({
  workspaceId,
  ws,
  live,
}: {
  workspaceId: string;
  ws: WorkspaceSettings | null;
  live: WorkspaceLive;
}) {
  const [list, setList] = useState<ExperimentSummary[] | null>(null);
  const [experiment, setExperiment] = useState<string>("");
  const [eventName, setEventName] = useState("Purchase");
  const [control, setControl] = useState("");
  const [report, setReport] = useState<ExperimentReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [tick, setTick] = useState(0);
  const lastLoad = useRef(0);

  useEffect(() => {
    let alive = true;
    api.get<{ data: ExperimentSummary[] }>("/v1/experiments", workspaceId).then(
      (r) => {
        if (!alive) return;
        setList(r.data);
        if (!experiment && r.data[0]) setExperiment(r.data[0].experiment);
      },
      (err: unknown) =>
        alive && setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
    );
    return () => {
      alive = false;
    };
  }, [workspaceId, tick]);

  // A conversion on the live feed re-reads the report, at most twice a second.
  useEffect(() => {
    if (live.lastConversionAt === null) return;
    const wait = Math.max(0, 500 - (Date.now() - lastLoad.current));
    const t = window.setTimeout(() => setTick((n) => n + 1), wait);
    return () => clearTimeout(t);
  }, [live.lastConversionAt]);

  useEffect(() => {
    const t = window.setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(t);
  }, []);

  useEffect(() => {
    if (!experiment) return;
    let alive = true;
    lastLoad.current = Date.now();
    const params = new URLSearchParams({ event_name: eventName || "Purchase" });
    if (control) params.set("control", control);
    api
      .get<ExperimentReport>(
        `/v1/reports/experiments/${encodeURIComponent(experiment)}?${params}`,
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
    return () => {
      alive = false;
    };
  }, [workspaceId, experiment, eventName, control, tick]);

  const current = list?.find((e) => e.experiment === experiment);
  const currency = report?.currency ?? ws?.currency ?? "USD";

  if (list && list.length === 0)
    return (
      <div class="empty">
        <h3>No experiments yet</h3>
        <p>
          Call <code>tally('experiment', 'checkout-v2', 'B')</code> on the page (or send events with{" "}
          <code>custom_data.experiment</code> and <code>custom_data.variant</code>): each visitor joins the
          first variant they see, and their later conversions count for it.
        </p>
      </div>
    );

  return (
    <div class="stack">
      <div class="toolbar">
        <label class="field field-inline">
          <span>Experiment</span>
          <select
            value={experiment}
            onChange={(e) => {
              setExperiment(e.currentTarget.value);
              setControl("");
            }}
          >
            {(list ?? []).map((e) => (
              <option key={e.experiment} value={e.experiment}>
                {e.experiment}
              </option>
            ))}
          </select>
        </label>
        <div class="toolbar-end">
          <label class="field field-inline">
            <span>Conversion</span>
            <input
              class="num-input"
              value={eventName}
              aria-label="Conversion event"
              onChange={(e) => setEventName(e.currentTarget.value.trim() || "Purchase")}
            />
          </label>
          <label class="field field-inline">
            <span>Control</span>
            <select value={report?.control ?? control} onChange={(e) => setControl(e.currentTarget.value)}>
              {(current?.variants ?? []).map((v) => (
                <option key={v} value={v}>
                  {v}
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
      {report?.warnings.includes("srm") && (
        <p class="banner banner-warn" role="alert">
          <strong>Sample ratio mismatch</strong> (p = {pValue(report.srm_p_value)}): the variants did not get
          the visitors an even split would give. Something biases the groups; do not trust the comparison
          until it is found.
        </p>
      )}
      {report?.warnings.includes("sample_too_small") && (
        <p class="banner" role="status">
          Too few visitors or conversions to call a winner yet: each variant needs 100 visitors, 10 converters
          and 10 non-converters before a difference is marked significant.
        </p>
      )}
      {report && (
        <section class="card" aria-labelledby="exp-title">
          <div class="card-head">
            <h2 id="exp-title">
              {report.experiment} <span class="muted">· {report.event_name}</span>
            </h2>
            <span class="muted small">
              control {report.control} · significant below p = {report.alpha.toFixed(3)}
            </span>
          </div>
          <div class="table-wrap">
            <table class="table report" aria-label={`Variants of ${report.experiment}`}>
              <thead>
                <tr>
                  <th scope="col">Variant</th>
                  <th scope="col" class="num">
                    Visitors
                  </th>
                  <th scope="col" class="num">
                    Converters
                  </th>
                  <th scope="col" class="num">
                    Rate
                  </th>
                  <th scope="col" class="num">
                    Value / visitor
                  </th>
                  <th scope="col" class="num">
                    Lift
                  </th>
                  <th scope="col" class="ci-col">
                    95% interval of the difference
                  </th>
                  <th scope="col" class="num">
                    p-value
                  </th>
                  <th scope="col" class="num">
                    P(beats control)
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.variants.map((v) => (
                  <VariantRow
                    key={v.variant}
                    v={v}
                    control={v.variant === report.control}
                    currency={currency}
                  />
                ))}
              </tbody>
            </table>
          </div>
        </section>
      )}
    </div>
  );
}

function VariantRow({ v, control, currency }: { v: VariantReport; control: boolean; currency: string }) {
  return (
    <tr data-variant={v.variant}>
      <th scope="row" class="key-cell">
        {v.variant} {control && <span class="muted small">control</span>}
        {v.significant && <span class="pill pill-healthy">significant</span>}
      </th>
      <td class="num">{count(v.visitors)}</td>
      <td class="num">{count(v.converters)}</td>
      <td class="num" data-field="rate">
        {pct(v.conversion_rate, 2)}
      </td>
      <td class="num">{money(v.value_per_visitor, currency)}</td>
      <td class="num" data-field="lift">
        {signed(v.lift)}
      </td>
      <td class="ci-col">{v.ci95 ? <IntervalBar ci={v.ci95} /> : <span class="muted">—</span>}</td>
      <td class="num" data-field="p">
        {pValue(v.p_value)}
      </td>
      <td class="num" data-field="beat">
        {pct(v.probability_to_beat_control)}
      </td>
    </tr>
  );
}

/** The interval on a symmetric axis around zero (± the larger end, at least 1 point). */
function IntervalBar({ ci }: { ci: [number, number] }) {
  const span = Math.max(Math.abs(ci[0]), Math.abs(ci[1]), 0.01);
  const x = (d: number) => 50 + (d / span) * 48;
  const label = `${signed(ci[0])} to ${signed(ci[1])} points`;
  const above = ci[0] > 0;
  const below = ci[1] < 0;
  return (
    <span class="ci" title={label} aria-label={label}>
      <svg viewBox="0 0 100 12" preserveAspectRatio="none" aria-hidden="true">
        <line x1="50" x2="50" y1="0" y2="12" class="ci-zero" />
        <rect
          x={x(ci[0])}
          width={Math.max(0.8, x(ci[1]) - x(ci[0]))}
          y="3"
          height="6"
          rx="2"
          class={above ? "ci-good" : below ? "ci-bad" : "ci-even"}
        />
      </svg>
      <span class="small muted">
        {(ci[0] * 100).toFixed(1)} … {(ci[1] * 100).toFixed(1)}
      </span>
    </span>
  );
}
