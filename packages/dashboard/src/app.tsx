/**
 * The dashboard shell: login when there is no session, else the dark header and the current
 * route: the overview of every workspace, or one workspace's tabs.
 */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { Login } from "./login.js";
import { Overview } from "./overview.js";
import { onLinkClick, useRoute } from "./router.js";
import { WorkspaceView } from "./workspace-view.js";

type SessionState = "checking" | "signed-out" | "signed-in";

export function App() {
  const [session, setSession] = useState<SessionState>("checking");
  const route = useRoute();

  useEffect(() => {
    api.onSignedOut = () => setSession("signed-out");
    api.resume().then(
      (ok) => setSession(ok ? "signed-in" : "signed-out"),
      () => setSession("signed-out"),
    );
  }, []);

  if (session === "checking") return <div class="boot" aria-busy="true" />;
  if (session === "signed-out") return <Login onLoggedIn={() => setSession("signed-in")} />;

  const logout = () => {
    void api.logout().finally(() => setSession("signed-out"));
  };

  return (
    <div class="shell">
      <header class="topbar">
        <a class="brand" href="/" onClick={onLinkClick} aria-label="Tally — all workspaces">
          <span class="brand-mark" aria-hidden="true" />
          Tally
        </a>
        <nav class="topnav" aria-label="Main">
          <a href="/" onClick={onLinkClick} aria-current={route.view === "overview" ? "page" : undefined}>
            Workspaces
          </a>
        </nav>
        <div class="topbar-end">
          <button type="button" class="btn btn-ghost-dark" onClick={logout}>
            Log out
          </button>
        </div>
      </header>
      <main class="content" id="main">
        {route.view === "overview" ? (
          <Overview />
        ) : (
          <WorkspaceView
            key={route.workspaceId}
            workspaceId={route.workspaceId}
            tab={route.tab}
            conversionId={route.conversionId}
          />
        )}
      </main>
    </div>
  );
}
