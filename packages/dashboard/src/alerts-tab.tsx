/**
 * Alerts: firing and resolved (GET /v1/alerts, kept current by live `alert` messages), each
 * with its diagnosis in plain words and a chart of the series that fired; below, each kind's
 * settings and the channels that tell someone who is not looking.
 */
import { Component, Fragment } from "preact";
import { useEffect, useState } from "preact/hooks";
import { AlertChannels } from "./alert-channels.js";
import { AlertChart } from "./alert-chart.js";
import { AlertRules } from "./alert-rules.js";
import { api, ApiError } from "./api.js";
import { DIAGNOSIS_TITLE, diagnosisText, KIND_LABEL } from "./diagnosis.js";
import { ago, dateTime, ms } from "./format.js";
import type { Alert } from "./types.js";
import type { WorkspaceLive } from "./workspace-live.js";

type Filter = "all" | "firing" | "resolved";
const FILTERS: { id: Filter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "firing", label: "Firing" },
  { id: "resolved", label: "Resolved" },
];

/** The newest state of each alert: a resolved one never goes back to firing. */
function merged(loaded: Alert[], heard: Alert[]): Alert[] {
  const byId = new Map<string, Alert>();
  for (const a of [...loaded, ...heard]) {
    const prev = byId.get(a.id);
    if (!prev || prev.status !== "resolved") byId.set(a.id, a);
  }
  return [...byId.values()].sort((a, b) => Date.parse(b.started_at) - Date.parse(a.started_at));
}

export function AlertsTab({ workspaceId, live }: { workspaceId: string; live: WorkspaceLive }) {
  const [loaded, setLoaded] = useState<Alert[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [filter, setFilter] = useState<Filter>("all");

  useEffect(() => {
    api.get<{ data: Alert[] }>("/v1/alerts?limit=200", workspaceId).then(
      (r) => setLoaded(r.data),
      (err: unknown) => setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
    );
  }, [workspaceId]);

  const all = merged(loaded ?? [], live.alerts);
  const shown = all.filter((a) => filter === "all" || a.status === filter);
  const firing = all.filter((a) => a.status === "firing").length;

  return (
    <div class="stack">
      <div class="toolbar">
        <div class="segmented" role="group" aria-label="Show">
          {FILTERS.map((f) => (
            <button
              key={f.id}
              type="button"
              class="seg"
              aria-pressed={filter === f.id}
              onClick={() => setFilter(f.id)}
            >
              {f.label}
            </button>
          ))}
        </div>
        <p class="muted small toolbar-note">
          Tally watches volume per source and event, field presence, values, error and duplicate rates and
          destinations, and tells a broken integration apart from a real drop.
        </p>
      </div>
      <section class="card" aria-labelledby="alerts-title">
        <div class="card-head">
          <h2 id="alerts-title">Alerts</h2>
          <span class="muted small">
            {loaded ? `${firing} firing · ${all.length - firing} resolved` : ""}
          </span>
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        {shown.length > 0 ? (
          <ul class="event-list alert-list" role="list" aria-live="polite" aria-relevant="additions">
            {shown.map((a, i) => (
              <AlertItem
                key={a.id}
                alert={a}
                workspaceId={workspaceId}
                open={a.status === "firing" || i === 0}
              />
            ))}
          </ul>
        ) : loaded ? (
          <div class="empty empty-inline">
            <h3>{filter === "resolved" ? "Nothing resolved yet" : "Nothing is firing"}</h3>
            <p>
              Alerts appear here the moment they fire, and go to every channel below. Quiet workspaces never
              page anyone: a kind judges only once it expects enough events.
            </p>
          </div>
        ) : (
          !error && (
            <div class="loading" aria-busy="true">
              Loading…
            </div>
          )
        )}
      </section>
      <AlertRules workspaceId={workspaceId} />
      <AlertChannels workspaceId={workspaceId} />
    </div>
  );
}

const DETAIL_SKIP = new Set(["keeping_pace", "series", "vanished", "appeared"]);

function detailValue(v: unknown): string {
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : v.toPrecision(3);
  if (typeof v === "string") return v;
  return JSON.stringify(v);
}

class AlertItem extends Component<{ alert: Alert; workspaceId: string; open: boolean }, { open: boolean }> {
  override state = { open: this.props.open };

  override render() {
    const { alert: a, workspaceId } = this.props;
    const d = a.details;
    const list = (k: string) =>
      Array.isArray(d[k]) && (d[k] as unknown[]).length > 0
        ? (d[k] as unknown[]).map(detailValue).join(", ")
        : null;
    const lasted = (a.resolved_at ? Date.parse(a.resolved_at) : Date.now()) - Date.parse(a.started_at);
    return (
      <li class={`event-item alert-item alert-${a.status}`} data-kind={a.kind} data-status={a.status}>
        <details open={this.state.open} onToggle={(e) => this.setState({ open: e.currentTarget.open })}>
          <summary>
            <span class={`sev sev-${a.severity}`}>{a.severity}</span>
            <span class="alert-kind">{KIND_LABEL[a.kind] ?? a.kind}</span>
            {a.diagnosis && (
              <span class="alert-diagnosis-tag">{DIAGNOSIS_TITLE[a.diagnosis] ?? a.diagnosis}</span>
            )}
            <span class={`status status-${a.status === "firing" ? "rejected" : "accepted"}`}>
              {a.status === "firing" ? "Firing" : "Resolved"}
            </span>
            <time class="event-time muted" dateTime={a.started_at} title={a.started_at}>
              {dateTime(a.started_at)} ·{" "}
              {a.status === "firing" ? `for ${ms(lasted)}` : `lasted ${ms(lasted)}`}
            </time>
          </summary>
          {this.state.open && (
            <div class="event-body alert-body">
              <p class="alert-diagnosis">
                <strong>
                  {a.diagnosis ? (DIAGNOSIS_TITLE[a.diagnosis] ?? a.diagnosis) : "What happened"}:
                </strong>{" "}
                {diagnosisText(a)}
              </p>
              <p class="alert-message">{a.message}</p>
              <dl class="alert-details">
                {list("keeping_pace") && (
                  <>
                    <dt>Kept their pace</dt>
                    <dd>{list("keeping_pace")}</dd>
                  </>
                )}
                {list("vanished") && (
                  <>
                    <dt>Went missing</dt>
                    <dd>{list("vanished")}</dd>
                  </>
                )}
                {list("appeared") && (
                  <>
                    <dt>Appeared</dt>
                    <dd>{list("appeared")}</dd>
                  </>
                )}
                {Object.entries(d)
                  .filter(([k, v]) => !DETAIL_SKIP.has(k) && v !== null && typeof v !== "object")
                  .map(([k, v]) => (
                    <Fragment key={k}>
                      <dt>{k.replace(/_/g, " ")}</dt>
                      <dd>{detailValue(v)}</dd>
                    </Fragment>
                  ))}
                {a.resolved_at && (
                  <>
                    <dt>resolved</dt>
                    <dd>
                      {dateTime(a.resolved_at)} ({ago(a.resolved_at)})
                    </dd>
                  </>
                )}
              </dl>
              <AlertChart alert={a} workspaceId={workspaceId} />
            </div>
          )}
        </details>
      </li>
    );
  }
}
