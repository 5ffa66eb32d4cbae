/**
 * Setup: the tag to paste (with this workspace's public key), the server call, the keys and
 * their rotation, conversion actions with their attribution windows, the origins allowed to
 * send, the destinations with their delivery figures and match quality, and the erasure log.
 */
import { AllowedOrigins } from "./allowed-origins.js";
import { ConversionActions } from "./conversion-actions.js";
import { CopyButton } from "./copy-button.js";
import { DestinationStatsPanel } from "./destination-stats.js";
import { PrivacyPanel } from "./privacy-panel.js";
import { RotateKey } from "./rotate-key.js";
import { CodeBlock, TagSnippet } from "./snippet.js";
import type { WorkspaceSettings } from "./types.js";

export function SetupTab({
  workspaceId,
  ws,
  onSaved,
}: {
  workspaceId: string;
  ws: WorkspaceSettings | null;
  onSaved: (ws: WorkspaceSettings) => void;
}) {
  if (!ws)
    return (
      <div class="loading" aria-busy="true">
        Loading…
      </div>
    );
  const track = `tally('track', 'Purchase', {value: 99.99, currency: '${ws.currency}', order_id: '1001'}, {event_id: 'order-1001'});`;
  const server = `curl -X POST ${location.origin}/v1/events \\
  -H "Authorization: Bearer $TALLY_SECRET_KEY" -H "Content-Type: application/json" \\
  -d '{"data": [{"event_name": "Purchase", "event_time": 1764426811, "event_id": "order-1001",
       "user_data": {"email": "jane@example.com"}, "custom_data": {"value": 99.99, "currency": "${ws.currency}"}}]}'`;
  return (
    <div class="setup">
      <section class="card pad-lg wide" aria-labelledby="tag-title">
        <h2 id="tag-title">1. Paste the tag into every page</h2>
        <p class="muted">
          Put it in the <code>&lt;head&gt;</code>. It sends a page view, keeps click ids from ad landing pages
          for attribution, and queues calls made before it loads.
        </p>
        <TagSnippet publicKey={ws.public_key} />
        <p class="muted">
          Then report conversions from the page — the same <code>event_id</code> from your server is counted
          once:
        </p>
        <CodeBlock code={track} label="Track call" lang="JavaScript" />
      </section>

      <section class="card pad-lg wide" aria-labelledby="server-title">
        <h2 id="server-title">2. Or send from your server</h2>
        <p class="muted">
          Server events are the most reliable: no ad blockers, no lost tabs. Use the secret key.
        </p>
        <CodeBlock code={server} label="Server call" lang="Shell" />
      </section>

      <section class="card pad-lg" aria-labelledby="keys-title">
        <h2 id="keys-title">Keys</h2>
        <dl class="keys">
          <dt>Public key</dt>
          <dd>
            <code>{ws.public_key}</code> <CopyButton text={ws.public_key} label="Copy public key" />
            <div class="hint">For the tag in browsers: it can send events, never read.</div>
          </dd>
          <dt>Secret key</dt>
          <dd>
            <code class="muted">sk_••••••••••••</code>
            <div class="hint">
              Shown only once, when it was made; Tally keeps just a hash. Lost or leaked? Rotate it below.
            </div>
          </dd>
          <dt>Workspace id</dt>
          <dd>
            <code>{ws.id}</code>
          </dd>
        </dl>
        <RotateKey ws={ws} onSaved={onSaved} />
      </section>

      <AllowedOrigins ws={ws} onSaved={onSaved} />
      <ConversionActions workspaceId={workspaceId} />
      <DestinationStatsPanel workspaceId={workspaceId} />
      <PrivacyPanel workspaceId={workspaceId} />
    </div>
  );
}
