/**
 * The live conversion feed: newest first, the last 200. Cheap under a flood, in three ways:
 * - only the rows in view (plus a few) are in the DOM, the rest are spacer height;
 * - rows are components that re-render only when their own conversion changes;
 * - the table re-renders at most every 200 ms while busy (a quiet feed at once): nobody
 *   reads a thousand rows a second, but a table rebuilt 60 times a second freezes a page.
 */
import { Component, createRef } from "preact";
import { clock, money, ms } from "./format.js";
import type { FeedRow } from "./workspace-live.js";

function source(row: FeedRow): { platform: string; detail: string } | null {
  const t = row.attribution.touches[0];
  if (!t) return null;
  return { platform: t.platform, detail: [t.campaign, t.ad].filter(Boolean).join(" · ") };
}

class Row extends Component<{ row: FeedRow; index: number }> {
  override shouldComponentUpdate(next: { row: FeedRow; index: number }): boolean {
    return next.row !== this.props.row || next.index !== this.props.index;
  }

  override render() {
    const { row, index } = this.props;
    const src = source(row);
    const latency = row.published_at ? Date.parse(row.published_at) - Date.parse(row.received_at) : null;
    const endToEnd = row.published_at ? Date.parse(row.published_at) - Date.parse(row.event_time) : null;
    return (
      <tr class={row.highlight ? "row-new" : undefined} aria-rowindex={index + 2}>
        <td class="nowrap tabular">
          <time dateTime={row.event_time} title={`Event time ${row.event_time}; received ${row.received_at}`}>
            {clock(row.event_time)}
          </time>
        </td>
        <td>
          <span class="event-name">{row.event_name}</span>
          {row.quality && row.quality.flags.length > 0 && (
            <span
              class={`flag-badge${row.excluded ? " flag-excluded" : ""}`}
              title={`Quality ${row.quality.score}/100: ${row.quality.flags.join(", ")}${row.excluded ? " (left out of figures)" : ""}`}
            >
              {row.quality.flags.join(" · ")}
            </span>
          )}
        </td>
        <td class="num">
          {row.value === null ? <span class="muted">—</span> : money(row.value, row.currency)}
        </td>
        <td>
          {src ? (
            <span class="source">
              <span class={`platform platform-${src.platform.replace(/[^a-z0-9]/g, "")}`}>
                {src.platform}
              </span>
              {src.detail && <span class="muted"> {src.detail}</span>}
            </span>
          ) : (
            <span class="muted">Unattributed</span>
          )}
        </td>
        <td
          class="num nowrap"
          title={endToEnd !== null ? `From the event to the feed: ${ms(endToEnd)}` : "Loaded from history"}
        >
          {latency === null ? <span class="muted">—</span> : ms(latency)}
        </td>
      </tr>
    );
  }
}

const MIN_RENDER_INTERVAL_MS = 200;
/** Matches `.feed tbody tr { height }` in dashboard.css. */
const ROW_HEIGHT = 40;
const OVERSCAN = 8;

export class Feed extends Component<{ rows: FeedRow[] }, { scrollTop: number; height: number }> {
  override state = { scrollTop: 0, height: 560 };
  private lastRender = 0;
  private timer = 0;
  private frame = 0;
  private readonly wrap = createRef<HTMLDivElement>();

  private readonly onScroll = () => {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const el = this.wrap.current;
      if (el) this.setState({ scrollTop: el.scrollTop, height: el.clientHeight });
    });
  };

  override componentDidMount(): void {
    const el = this.wrap.current;
    if (el) this.setState({ height: el.clientHeight || 560 });
  }

  override shouldComponentUpdate(
    next: { rows: FeedRow[] },
    nextState: { scrollTop: number; height: number },
  ): boolean {
    if (nextState !== this.state) return true;
    if (next.rows === this.props.rows) return false;
    const wait = this.lastRender + MIN_RENDER_INTERVAL_MS - performance.now();
    if (wait <= 0) return true;
    if (!this.timer)
      this.timer = window.setTimeout(() => {
        this.timer = 0;
        this.forceUpdate();
      }, wait);
    return false;
  }

  override componentWillUnmount(): void {
    clearTimeout(this.timer);
    cancelAnimationFrame(this.frame);
  }

  override render() {
    this.lastRender = performance.now();
    const { rows } = this.props;
    const first = Math.max(0, Math.floor(this.state.scrollTop / ROW_HEIGHT) - OVERSCAN);
    const last = Math.min(
      rows.length,
      Math.ceil((this.state.scrollTop + this.state.height) / ROW_HEIGHT) + OVERSCAN,
    );
    return (
      <div class="table-wrap" ref={this.wrap} onScroll={this.onScroll}>
        <table
          class="table feed"
          aria-label="Live conversions, newest first"
          aria-rowcount={rows.length + 1}
          data-rows={rows.length}
        >
          <colgroup>
            <col class="c-time" />
            <col class="c-event" />
            <col class="c-value" />
            <col class="c-source" />
            <col class="c-latency" />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Event</th>
              <th scope="col" class="num">
                Value
              </th>
              <th scope="col">Source (last click)</th>
              <th scope="col" class="num" title="From arrival at Tally to the live feed">
                Latency
              </th>
            </tr>
          </thead>
          <tbody>
            {first > 0 && (
              <tr class="spacer" aria-hidden="true" style={{ height: `${first * ROW_HEIGHT}px` }} />
            )}
            {rows.slice(first, last).map((r, i) => (
              <Row key={r.id} row={r} index={first + i} />
            ))}
            {last < rows.length && (
              <tr
                class="spacer"
                aria-hidden="true"
                style={{ height: `${(rows.length - last) * ROW_HEIGHT}px` }}
              />
            )}
          </tbody>
        </table>
      </div>
    );
  }
}
