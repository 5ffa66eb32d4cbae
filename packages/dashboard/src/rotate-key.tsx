/**
 * Rotate a key: a new public or secret key at once, the old one working for the grace period
 * chosen (then refused). A new secret key is shown here once; a new public key replaces the
 * one in the tag snippet, which every page must then carry before the grace ends.
 */
import { useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { CopyButton } from "./copy-button.js";
import type { WorkspaceSettings } from "./types.js";

const GRACES: [number, string][] = [
  [0, "Stops at once"],
  [3600, "1 hour"],
  [86_400, "1 day"],
  [604_800, "7 days (the longest)"],
];

interface Rotated {
  kind: "public" | "secret";
  key: string;
  until: string;
}

const errorText = (err: unknown) => (err instanceof ApiError ? err.message : "Tally could not be reached.");

export function RotateKey({
  ws,
  onSaved,
}: {
  ws: WorkspaceSettings;
  onSaved: (ws: WorkspaceSettings) => void;
}) {
  const [kind, setKind] = useState<"public" | "secret">("secret");
  const [grace, setGrace] = useState(3600);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [rotated, setRotated] = useState<Rotated | null>(null);

  const rotate = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setRotated(null);
    try {
      const r = await api.send<{ public_key?: string; secret_key?: string; old_key_expires_at: string }>(
        "POST",
        "/v1/workspace/keys/rotate",
        { key: kind, grace_seconds: grace },
        ws.id,
      );
      const key = (kind === "public" ? r.public_key : r.secret_key) ?? "";
      setRotated({ kind, key, until: r.old_key_expires_at });
      if (kind === "public") onSaved({ ...ws, public_key: key });
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  const until = (iso: string) => new Date(iso).toLocaleString();

  return (
    <form class="rotate-key" onSubmit={(e) => void rotate(e)} aria-labelledby="rotate-title">
      <h3 id="rotate-title">Rotate a key</h3>
      <p class="hint">
        A leaked or departing key? Get a new one; the old one keeps working for the grace period, then is
        refused everywhere (live feeds opened with an old secret key close then too).
      </p>
      <div class="rotate-fields">
        <label class="field">
          <span>Key</span>
          <select
            aria-label="Key to rotate"
            value={kind}
            onChange={(e) => setKind(e.currentTarget.value as "public" | "secret")}
          >
            <option value="secret">Secret key</option>
            <option value="public">Public key</option>
          </select>
        </label>
        <label class="field">
          <span>Old key keeps working</span>
          <select
            aria-label="Grace period"
            value={String(grace)}
            onChange={(e) => setGrace(Number(e.currentTarget.value))}
          >
            {GRACES.map(([s, label]) => (
              <option value={String(s)} key={s}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      <div class="form-actions">
        <button type="submit" class="btn" disabled={busy}>
          {busy ? "Rotating…" : "Rotate key"}
        </button>
      </div>
      {rotated && (
        <div class="rotated" role="status">
          {rotated.kind === "secret" ? (
            <>
              <p>
                New secret key — <strong>shown only now</strong>; store it where your server reads it:
              </p>
              <p>
                <code class="new-key">{rotated.key}</code>{" "}
                <CopyButton text={rotated.key} label="Copy new secret key" />
              </p>
            </>
          ) : (
            <p>
              New public key <code class="new-key">{rotated.key}</code>: the tag above now carries it; put it
              on your pages.
            </p>
          )}
          <p class="hint">
            The old {rotated.kind} key works until {until(rotated.until)}.
          </p>
        </div>
      )}
    </form>
  );
}
