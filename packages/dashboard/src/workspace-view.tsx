/** One workspace: its name, live status and health, and the tabs (live, attribution, test events, setup). */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { AttributionTab } from "./attribution-tab.js";
import { ExperimentsTab } from "./experiments-tab.js";
import { ReconciliationTab } from "./reconciliation-tab.js";
import { HealthBadge, LiveBadge } from "./badges.js";
import { healthOf } from "./health.js";
import { LiveTab } from "./live-tab.js";
import { PerformanceTab } from "./performance-tab.js";
import { QualityTab } from "./quality-tab.js";
import { hrefOf, navigate, onLinkClick, TABS, type Tab } from "./router.js";
import { RulesTab } from "./rules-tab.js";
import { SetupTab } from "./setup-tab.js";
import { TestEventsTab } from "./test-events-tab.js";
import type { WorkspaceSettings } from "./types.js";
import { useWorkspaceLive } from "./workspace-live.js";

export function WorkspaceView({ workspaceId, tab }: { workspaceId: string; tab: Tab }) {
  const [ws, setWs] = useState<WorkspaceSettings | null>(null);
  const [error, setError] = useState<string | null>(null);
  const live = useWorkspaceLive(workspaceId, ws?.currency ?? null);

  useEffect(() => {
    api
      .get<WorkspaceSettings>("/v1/workspace", workspaceId)
      .then(setWs, (err: unknown) =>
        setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
      );
  }, [workspaceId]);

  if (error)
    return (
      <section class="page">
        <p class="banner banner-error" role="alert">
          {error}{" "}
          <a href="/" onClick={onLinkClick}>
            Back to all workspaces
          </a>
        </p>
      </section>
    );

  const onTabKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const next =
      e.key === "ArrowRight"
        ? i + 1
        : e.key === "ArrowLeft"
          ? i - 1
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? TABS.length - 1
              : null;
    if (next === null) return;
    e.preventDefault();
    const t = TABS[(next + TABS.length) % TABS.length]!;
    navigate(hrefOf({ view: "workspace", workspaceId, tab: t.id }));
    requestAnimationFrame(() => document.getElementById(`tab-${t.id}`)?.focus());
  };

  const health = healthOf(live.hour);
  const rejectedCount = live.testEvents.filter((e) => e.status === "rejected").length;

  return (
    <section class="page" aria-labelledby="ws-title">
      <nav class="crumbs" aria-label="Breadcrumb">
        <a href="/" onClick={onLinkClick}>
          Workspaces
        </a>
        <span aria-hidden="true">/</span>
        <span aria-current="page">{ws?.name ?? "…"}</span>
      </nav>
      <div class="page-head">
        <div>
          <h1 id="ws-title">{ws?.name ?? "\u00a0"}</h1>
          <p class="muted">{ws ? `${ws.currency} · ${ws.timezone} · ${health.detail}` : "\u00a0"}</p>
        </div>
        <div class="page-actions">
          <HealthBadge health={health} />
          <LiveBadge status={live.status} />
        </div>
      </div>
      {live.alerts.map((a) => (
        <p key={`${a.at}|${a.rule}`} class="banner banner-warn" role="alert">
          <strong>{a.rule}</strong> {a.message}
        </p>
      ))}
      <div class="tabs" role="tablist" aria-label="Workspace views" onKeyDown={onTabKey}>
        {TABS.map((t) => (
          <a
            key={t.id}
            id={`tab-${t.id}`}
            role="tab"
            href={hrefOf({ view: "workspace", workspaceId, tab: t.id })}
            onClick={onLinkClick}
            aria-selected={t.id === tab}
            aria-controls="tab-panel"
            tabIndex={t.id === tab ? 0 : -1}
            class="tab"
          >
            {t.label}
            {t.id === "test-events" && rejectedCount > 0 && (
              <span class="tab-count" aria-label={`${rejectedCount} rejected`}>
                {rejectedCount}
              </span>
            )}
          </a>
        ))}
      </div>
      <div id="tab-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} class="tab-panel">
        {tab === "live" && <LiveTab workspaceId={workspaceId} ws={ws} live={live} />}
        {tab === "attribution" && <AttributionTab workspaceId={workspaceId} ws={ws} />}
        {tab === "performance" && (
          <PerformanceTab
            workspaceId={workspaceId}
            ws={ws}
            lastConversionAt={live.lastConversionAt}
            rules={<RulesTab workspaceId={workspaceId} live={live} />}
          />
        )}
        {tab === "quality" && <QualityTab workspaceId={workspaceId} ws={ws} />}
        {tab === "experiments" && <ExperimentsTab workspaceId={workspaceId} ws={ws} live={live} />}
        {tab === "reconciliation" && <ReconciliationTab workspaceId={workspaceId} ws={ws} live={live} />}
        {tab === "test-events" && <TestEventsTab live={live} ws={ws} />}
        {tab === "setup" && <SetupTab workspaceId={workspaceId} ws={ws} onSaved={setWs} />}
      </div>
    </section>
  );
}
