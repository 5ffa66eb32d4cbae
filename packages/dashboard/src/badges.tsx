/** Small status pills: tracking health and the live connection. */
import type { Health } from "./health.js";
import type { LiveStatus } from "./live-connection.js";

export function HealthBadge({ health }: { health: Health }) {
  return (
    <span class={`pill pill-${health.level}`} title={health.detail}>
      <span class="dot" aria-hidden="true" />
      {health.label}
    </span>
  );
}

const LIVE_LABEL: Record<LiveStatus, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
};

export function LiveBadge({ status }: { status: LiveStatus }) {
  return (
    <span class={`live-badge live-${status}`} role="status" aria-live="polite">
      <span class="live-dot" aria-hidden="true" />
      {LIVE_LABEL[status]}
    </span>
  );
}
