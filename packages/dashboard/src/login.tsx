/** Log in with the admin token: it is exchanged for a session cookie and never stored by the page. */
import { useState } from "preact/hooks";
import { api, ApiError } from "./api.js";

export function Login({ onLoggedIn }: { onLoggedIn: () => void }) {
  const [token, setToken] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api.login(token.trim());
      onLoggedIn();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Tally could not be reached. Is the server running?");
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="login">
      <form class="login-card" onSubmit={(e) => void submit(e)}>
        <div class="login-brand">
          <span class="brand-mark" aria-hidden="true" />
          Tally
        </div>
        <h1>Sign in</h1>
        <p class="muted">Conversions as they happen, and whether your tracking is healthy.</p>
        <label class="field">
          <span>Admin token</span>
          <input
            type="password"
            name="token"
            autoComplete="current-password"
            autoFocus
            required
            value={token}
            onInput={(e) => setToken(e.currentTarget.value)}
            aria-describedby="token-help"
          />
        </label>
        <p id="token-help" class="hint">
          Printed once when Tally first started (only its hash is kept), or the <code>TALLY_ADMIN_TOKEN</code>{" "}
          it was started with.
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || token.trim() === ""}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </div>
  );
}
