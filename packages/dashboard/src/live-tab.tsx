/** The live view: this hour's tiles, the conversion feed, and conversions per minute and per hour. */
import { useState } from "preact/hooks";
import { ConversionsChart } from "./chart.js";
import { Feed } from "./feed.js";
import { count } from "./format.js";
import { onLinkClick } from "./router.js";
import { TagSnippet } from "./snippet.js";
import { Tiles } from "./tiles.js";
import type { WorkspaceSettings } from "./types.js";
import { FEED_ROWS, type WorkspaceLive } from "./workspace-live.js";

export function LiveTab({
  workspaceId,
  ws,
  live,
}: {
  workspaceId: string;
  ws: WorkspaceSettings | null;
  live: WorkspaceLive;
}) {
  const currency = ws?.currency ?? "USD";
  const [flaggedOnly, setFlaggedOnly] = useState(false);
  return (
    <div class="stack">
      <div>
        <div class="section-label">
          This hour <span class="muted">· updated every second</span>
        </div>
        <Tiles hour={live.hour} currency={currency} />
      </div>
      <div class="live-grid">
        <section class="card feed-card" aria-labelledby="feed-title">
          <div class="card-head">
            <h2 id="feed-title">Live conversions</h2>
            <label class="small feed-filter">
              <input
                type="checkbox"
                checked={flaggedOnly}
                onChange={(e) => setFlaggedOnly((e.target as HTMLInputElement).checked)}
              />{" "}
              Flagged only
            </label>
            <span class="muted small">
              {live.rows.length >= FEED_ROWS
                ? `Latest ${count(FEED_ROWS)}`
                : live.rows.length > 0
                  ? `${count(live.rows.length)} in the last hour`
                  : ""}
            </span>
          </div>
          {live.rows.length > 0 ? (
            <Feed
              rows={flaggedOnly ? live.rows.filter((r) => (r.quality?.flags.length ?? 0) > 0) : live.rows}
            />
          ) : live.historyLoaded ? (
            <div class="empty empty-inline">
              <h3>No conversions yet</h3>
              <p>
                Paste this snippet into your site's pages, or run <code>npm run tally -- simulate</code> to
                watch test traffic flow in. Conversions appear here the moment they arrive.
              </p>
              {ws && <TagSnippet publicKey={ws.public_key} />}
              <p class="small">
                Sending from your server instead?{" "}
                <a href={`/w/${encodeURIComponent(workspaceId)}/setup`} onClick={onLinkClick}>
                  See the setup page
                </a>
                .
              </p>
            </div>
          ) : (
            <div class="loading" aria-busy="true">
              Loading…
            </div>
          )}
        </section>
        <div class="stack charts-col">
          <ConversionsChart
            title="Last hour"
            bucketLabel="per minute"
            points={live.minutes}
            currency={currency}
          />
          <ConversionsChart
            title="Last 7 days"
            bucketLabel="per hour"
            points={live.hours}
            currency={currency}
          />
        </div>
      </div>
    </div>
  );
}
