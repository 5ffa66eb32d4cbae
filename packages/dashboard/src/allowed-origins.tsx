/** The sites allowed to send events with the public key (empty: any). */
import { useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import type { WorkspaceSettings } from "./types.js";

const errorText = (err: unknown) => (err instanceof ApiError ? err.message : "Tally could not be reached.");

export function AllowedOrigins({
  ws,
  onSaved,
}: {
  ws: WorkspaceSettings;
  onSaved: (ws: WorkspaceSettings) => void;
}) {
  const [text, setText] = useState(ws.allowed_origins.join("\n"));
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const save = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    try {
      const origins = text
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
      const updated = await api.send<WorkspaceSettings>(
        "PATCH",
        "/v1/workspace",
        { allowed_origins: origins },
        ws.id,
      );
      setText(updated.allowed_origins.join("\n"));
      onSaved(updated);
      setDone(true);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card pad-lg" aria-labelledby="origins-title">
      <h2 id="origins-title">Allowed origins</h2>
      <form onSubmit={(e) => void save(e)}>
        <label class="field">
          <span>Sites that may send events with the tag, one per line</span>
          <textarea
            rows={4}
            value={text}
            placeholder="https://shop.example"
            onInput={(e) => setText(e.currentTarget.value)}
            aria-describedby="origins-help"
          />
        </label>
        <p id="origins-help" class="hint">
          Empty means any site may use the public key. Server calls with the secret key are not affected.
        </p>
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <div class="form-actions">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? "Saving…" : "Save origins"}
          </button>
          {done && (
            <span class="saved" role="status">
              Saved
            </span>
          )}
        </div>
      </form>
    </section>
  );
}
