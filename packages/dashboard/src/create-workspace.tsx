/** Creates a workspace and shows its secret key — once, since Tally keeps only its hash. */
import { useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { CopyButton } from "./copy-button.js";
import { navigate } from "./router.js";
import type { CreatedWorkspace } from "./types.js";

export function CreateWorkspace({ onClose, onCreated }: { onClose: () => void; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [currency, setCurrency] = useState("USD");
  const [error, setError] = useState<string | null>(null);
  const [created, setCreated] = useState<CreatedWorkspace | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      setCreated(
        await api.send<CreatedWorkspace>("POST", "/v1/workspaces", {
          name: name.trim(),
          currency: currency.trim().toUpperCase(),
        }),
      );
      onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : "Tally could not be reached.");
    } finally {
      setBusy(false);
    }
  };

  if (created)
    return (
      <div class="panel panel-highlight" role="region" aria-labelledby="secret-title">
        <h2 id="secret-title">“{created.name}” is ready — save its secret key now</h2>
        <p>
          Your server sends events with this key. It is shown <strong>only this once</strong>: Tally keeps a
          hash of it, not the key.
        </p>
        <div class="secret-row">
          <code class="secret" aria-label="Secret key">
            {created.secret_key}
          </code>
          <CopyButton text={created.secret_key} label="Copy secret key" />
        </div>
        <div class="form-actions">
          <button
            type="button"
            class="btn btn-primary"
            onClick={() => navigate(`/w/${encodeURIComponent(created.id)}/setup`)}
          >
            I saved it — set up tracking
          </button>
        </div>
      </div>
    );

  return (
    <form class="panel" onSubmit={(e) => void submit(e)} aria-labelledby="create-title">
      <h2 id="create-title">New workspace</h2>
      <div class="form-row">
        <label class="field grow">
          <span>Name</span>
          <input
            required
            autoFocus
            maxLength={200}
            value={name}
            placeholder="My shop"
            onInput={(e) => setName(e.currentTarget.value)}
          />
        </label>
        <label class="field narrow">
          <span>Currency</span>
          <input
            required
            maxLength={3}
            pattern="[A-Za-z]{3}"
            value={currency}
            onInput={(e) => setCurrency(e.currentTarget.value)}
            aria-describedby="currency-help"
          />
        </label>
      </div>
      <p id="currency-help" class="hint">
        Values in this currency are summed in metrics and reports.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="btn btn-primary" disabled={busy || name.trim() === ""}>
          {busy ? "Creating…" : "Create workspace"}
        </button>
        <button type="button" class="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
