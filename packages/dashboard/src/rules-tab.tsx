/** Rules and their last signals: the panels the Performance view shows in its rules slot. */
import { RulesPanel } from "./rules-panel.js";
import { SignalsPanel } from "./rules-signals.js";
import type { WorkspaceLive } from "./workspace-live.js";

export function RulesTab({ workspaceId, live }: { workspaceId: string; live: WorkspaceLive }) {
  return (
    <div class="rules-tab">
      <RulesPanel workspaceId={workspaceId} signalCount={live.signals.length} />
      <SignalsPanel workspaceId={workspaceId} live={live.signals} />
    </div>
  );
}
