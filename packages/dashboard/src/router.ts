/**
 * Client-side routes: `/` (all workspaces), `/w/<id>/<tab>` and one conversion's ledger,
 * `/w/<id>/conversions/<conversion id>` (under the Live tab). The server answers every `/w/*`
 * path with the dashboard, so links can be shared and reloaded.
 */
import { useEffect, useState } from "preact/hooks";

export type Tab =
  | "live"
  | "alerts"
  | "attribution"
  | "performance"
  | "quality"
  | "experiments"
  | "reconciliation"
  | "test-events"
  | "setup";
export const TABS: readonly { id: Tab; label: string }[] = [
  { id: "live", label: "Live" },
  { id: "alerts", label: "Alerts" },
  { id: "attribution", label: "Attribution" },
  { id: "performance", label: "Performance" },
  { id: "quality", label: "Quality" },
  { id: "experiments", label: "Experiments" },
  { id: "reconciliation", label: "Reconciliation" },
  { id: "test-events", label: "Test events" },
  { id: "setup", label: "Setup" },
];

export type Route =
  { view: "overview" } | { view: "workspace"; workspaceId: string; tab: Tab; conversionId?: string };

export function parseRoute(path: string): Route {
  const c = /^\/w\/([^/]+)\/conversions\/([^/]+)\/?$/.exec(path);
  if (c)
    return {
      view: "workspace",
      workspaceId: decodeURIComponent(c[1]!),
      tab: "live",
      conversionId: decodeURIComponent(c[2]!),
    };
  const m = /^\/w\/([^/]+)(?:\/([a-z-]+))?\/?$/.exec(path);
  if (!m) return { view: "overview" };
  const tab = TABS.find((t) => t.id === m[2])?.id ?? "live";
  return { view: "workspace", workspaceId: decodeURIComponent(m[1]!), tab };
}

export function hrefOf(route: Route): string {
  if (route.view === "overview") return "/";
  const ws = `/w/${encodeURIComponent(route.workspaceId)}`;
  return route.conversionId
    ? `${ws}/conversions/${encodeURIComponent(route.conversionId)}`
    : `${ws}/${route.tab}`;
}

const listeners = new Set<() => void>();

export function navigate(href: string): void {
  if (href === location.pathname) return;
  history.pushState(null, "", href);
  for (const l of listeners) l();
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.pathname));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.pathname));
    listeners.add(update);
    addEventListener("popstate", update);
    return () => {
      listeners.delete(update);
      removeEventListener("popstate", update);
    };
  }, []);
  return route;
}

/** A click handler for in-app links: plain clicks navigate without reloading, others behave as links. */
export function onLinkClick(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.currentTarget as HTMLAnchorElement | null)?.getAttribute("href");
  if (!a || !a.startsWith("/")) return;
  e.preventDefault();
  navigate(a);
}
