/**
 * Like Meta's Events Manager test view: events sent with a `test_event_code`, and every event
 * rejected in the last hour, live, each with what was received (email, phone and IP masked)
 * and why it was refused — and, for accepted ones, their match quality and what to fix, so a
 * developer wiring Tally sees at once whether the platforms will be able to match them.
 */
import { Component } from "preact";
import { useState } from "preact/hooks";
import { ago, clock } from "./format.js";
import { MatchQualityPanel, MatchScore, scoreTone } from "./match-quality.js";
import { CodeBlock } from "./snippet.js";
import type { TestEvent, WorkspaceSettings } from "./types.js";
import type { WorkspaceLive } from "./workspace-live.js";

type Filter = "all" | "test" | "rejected";
const FILTERS: { id: Filter; label: string }[] = [
  { id: "all", label: "All" },
  { id: "test", label: "Test events" },
  { id: "rejected", label: "Rejected" },
];

const STATUS_LABEL: Record<TestEvent["status"], string> = {
  accepted: "Accepted",
  duplicate: "Duplicate",
  rejected: "Rejected",
};

class EventItem extends Component<{ ev: TestEvent }, { open: boolean }> {
  override state = { open: false };

  override shouldComponentUpdate(next: { ev: TestEvent }, nextState: { open: boolean }): boolean {
    return next.ev !== this.props.ev || nextState.open !== this.state.open;
  }

  override render() {
    const { ev } = this.props;
    const err = ev.error;
    return (
      <li class={`event-item event-${ev.status}`}>
        <details open={this.state.open} onToggle={(e) => this.setState({ open: e.currentTarget.open })}>
          <summary>
            <span class={`status status-${ev.status}`}>{STATUS_LABEL[ev.status]}</span>
            <span class="event-name">{ev.event_name ?? <span class="muted">(no event_name)</span>}</span>
            {ev.test_event_code && (
              <span class="code-tag" title="test_event_code">
                {ev.test_event_code}
              </span>
            )}
            {ev.match_quality && <MatchScore mq={ev.match_quality} />}
            {err && (
              <span class="event-error">
                <code>{err.code}</code> {err.message}
              </span>
            )}
            <time class="event-time muted" dateTime={ev.received_at} title={ev.received_at}>
              {clock(ev.received_at)} · {ago(ev.received_at)}
            </time>
          </summary>
          {this.state.open && (
            <div class="event-body">
              {err && (
                <dl class="error-list">
                  <dt>Error</dt>
                  <dd>
                    <code>{err.code}</code>
                    {err.field && (
                      <>
                        {" "}
                        on <code>{err.field}</code>
                      </>
                    )}
                    : {err.message}
                  </dd>
                </dl>
              )}
              {ev.id && (
                <p class="small muted">
                  Stored as <code>{ev.id}</code>
                </p>
              )}
              {ev.match_quality && <MatchQualityPanel mq={ev.match_quality} />}
              <div class="received-label small muted">Received (email, phone and IP masked)</div>
              <pre class="json">{JSON.stringify(ev.received, null, 2)}</pre>
            </div>
          )}
        </details>
      </li>
    );
  }
}

export function TestEventsTab({ live, ws }: { live: WorkspaceLive; ws: WorkspaceSettings | null }) {
  const [filter, setFilter] = useState<Filter>("all");
  const shown = live.testEvents.filter((e) =>
    filter === "all" ? true : filter === "test" ? e.test_event_code !== null : e.status === "rejected",
  );
  const curl = `curl -X POST ${location.origin}/v1/events \\
  -H "Authorization: Bearer $TALLY_SECRET_KEY" -H "Content-Type: application/json" \\
  -d '{"test_event_code": "TEST42", "data": [{"event_name": "Purchase", "event_time": ${Math.floor(Date.now() / 1000)},
       "event_id": "order-1001", "custom_data": {"value": 99.99, "currency": "${ws?.currency ?? "USD"}"}}]}'`;

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
          Test events never count in metrics or reports and are never forwarded, except to a destination's
          test mode. The last hour is kept.
        </p>
      </div>
      <MatchQualitySummary events={live.testEvents} />
      <section class="card" aria-labelledby="test-title">
        <div class="card-head">
          <h2 id="test-title">Test and rejected events</h2>
          <span class="muted small">{shown.length ? `${shown.length} in the last hour` : ""}</span>
        </div>
        {shown.length > 0 ? (
          <ul class="event-list" role="list" aria-live="polite" aria-relevant="additions">
            {shown.map((ev) => (
              <EventItem key={ev.seq} ev={ev} />
            ))}
          </ul>
        ) : live.testEventsLoaded ? (
          <div class="empty empty-inline">
            <h3>
              {filter === "rejected"
                ? "Nothing rejected in the last hour"
                : "No test events in the last hour"}
            </h3>
            <p>
              Send events with a <code>test_event_code</code> and they appear here at once, with what was
              received and any validation error:
            </p>
            <CodeBlock code={curl} label="Test event example" lang="Shell" />
          </div>
        ) : (
          <div class="loading" aria-busy="true">
            Loading…
          </div>
        )}
      </section>
    </div>
  );
}

/** The latest test events' match quality: the newest score, the average, and the problems to fix most often. */
function MatchQualitySummary({ events }: { events: TestEvent[] }) {
  const rated = events.filter((e) => e.match_quality).slice(0, 100);
  if (rated.length === 0) return null;
  const latest = rated[0]!.match_quality!;
  const avg = rated.reduce((a, e) => a + e.match_quality!.score, 0) / rated.length;
  const problems = new Map<string, { code: string; field: string; n: number; message: string }>();
  for (const e of rated)
    for (const p of e.match_quality!.problems) {
      const k = `${p.code}|${p.field}`;
      const had = problems.get(k);
      if (had) had.n++;
      else problems.set(k, { ...p, n: 1 });
    }
  const top = [...problems.values()].sort((a, b) => b.n - a.n).slice(0, 5);
  return (
    <section class="card pad-lg mq-summary" aria-labelledby="mq-title">
      <h2 id="mq-title">Match quality</h2>
      <div class="mq-summary-grid">
        <MatchQualityPanel mq={latest} title={`Latest: ${rated[0]!.event_name ?? "event"}`} />
        <div>
          <h3>
            Average of the last {rated.length}:{" "}
            <span class={`mq-score mq-${scoreTone(avg)}`}>{avg.toFixed(1)}/10</span>
          </h3>
          {top.length === 0 ? (
            <p class="muted small">No problems: every identifier sent is usable.</p>
          ) : (
            <ul class="mq-problems" aria-label="Most frequent problems">
              {top.map((p) => (
                <li key={`${p.code}|${p.field}`}>
                  <strong>{p.n}×</strong> <code>{p.code}</code> on <code>{p.field}</code>: {p.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      </div>
    </section>
  );
}
