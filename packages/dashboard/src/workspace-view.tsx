/**
 * One workspace: its name, live status and health, banners for firing alerts, and the tabs
 * (live, alerts, attribution, performance, experiments, test events, setup); a conversion's
 * ledger opens under Live.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { AlertsTab } from "./alerts-tab.js";
import { AttributionTab } from "./attribution-tab.js";
import { DIAGNOSIS_TITLE, KIND_LABEL } from "./diagnosis.js";
import { ExperimentsTab } from "./experiments-tab.js";
import { ReconciliationTab } from "./reconciliation-tab.js";
import { HealthBadge, LiveBadge } from "./badges.js";
import { healthOf } from "./health.js";
import { LedgerView } from "./ledger-view.js";
import { LiveTab } from "./live-tab.js";
import { PerformanceTab } from "./performance-tab.js";
import { QualityTab } from "./quality-tab.js";
import { hrefOf, navigate, onLinkClick, TABS, type Tab } from "./router.js";
import { RulesTab } from "./rules-tab.js";
import { SetupTab } from "./setup-tab.js";
import { TestEventsTab } from "./test-events-tab.js";
import type { WorkspaceSettings } from "./types.js";
import { useWorkspaceLive } from "./workspace-live.js";

export function WorkspaceView({
  workspaceId,
  tab,
  conversionId,
}: {
  workspaceId: string;
  tab: Tab;
  conversionId?: string;
}) {
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
  const firing = live.alerts.filter((a) => a.status === "firing");

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
      {firing.slice(0, 3).map((a) => (
        <p
          key={a.id}
          class={`banner ${a.severity === "critical" ? "banner-error" : "banner-warn"}`}
          role="alert"
        >
          <strong>
            {KIND_LABEL[a.kind] ?? a.kind}
            {a.diagnosis ? ` — ${DIAGNOSIS_TITLE[a.diagnosis] ?? a.diagnosis}` : ""}
          </strong>{" "}
          {a.message}{" "}
          {tab !== "alerts" && (
            <a href={hrefOf({ view: "workspace", workspaceId, tab: "alerts" })} onClick={onLinkClick}>
              See the alert
            </a>
          )}
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
            {t.id === "alerts" && firing.length > 0 && (
              <span class="tab-count" aria-label={`${firing.length} firing`}>
                {firing.length}
              </span>
            )}
            {t.id === "test-events" && rejectedCount > 0 && (
              <span class="tab-count" aria-label={`${rejectedCount} rejected`}>
                {rejectedCount}
              </span>
            )}
          </a>
        ))}
      </div>
      <div id="tab-panel" role="tabpanel" aria-labelledby={`tab-${tab}`} class="tab-panel">
        {tab === "live" &&
          (conversionId ? (
            <LedgerView workspaceId={workspaceId} conversionId={conversionId} />
          ) : (
            <LiveTab workspaceId={workspaceId} ws={ws} live={live} />
          ))}
        {tab === "alerts" && <AlertsTab workspaceId={workspaceId} live={live} />}
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
