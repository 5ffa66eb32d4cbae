/** Conversion actions: which events count, what they require, and their attribution windows. */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import type { ConversionAction } from "./types.js";

const REQUIRABLE = ["value", "currency", "order_id", "event_id", "email", "phone", "external_id"] as const;
const errorText = (err: unknown) => (err instanceof ApiError ? err.message : "Tally could not be reached.");

export function ConversionActions({ workspaceId }: { workspaceId: string }) {
  const [actions, setActions] = useState<ConversionAction[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [newName, setNewName] = useState("");

  const load = () =>
    api.get<{ data: ConversionAction[] }>("/v1/conversion-actions", workspaceId).then(
      (r) => setActions(r.data),
      (err: unknown) => setError(errorText(err)),
    );
  useEffect(() => void load(), [workspaceId]);

  const add = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.send("PUT", `/v1/conversion-actions/${encodeURIComponent(newName.trim())}`, {}, workspaceId);
      setNewName("");
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  };

  return (
    <section class="card pad-lg wide" aria-labelledby="actions-title">
      <h2 id="actions-title">Conversion actions</h2>
      <p class="muted">
        The events that count as conversions, and how far back a click (or an impression) may take credit.
        Other event names are rejected, except <code>PageView</code>, <code>ViewContent</code> and{" "}
        <code>Search</code>.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {actions === null ? (
        <div class="loading" aria-busy="true">
          Loading…
        </div>
      ) : (
        <div class="table-wrap">
          <table class="table actions">
            <thead>
              <tr>
                <th scope="col">Action</th>
                <th scope="col">Required fields</th>
                <th scope="col" class="num col-window">
                  Click window
                </th>
                <th scope="col" class="num col-window">
                  View window
                </th>
                <th scope="col" class="col-save">
                  <span class="sr-only">Save</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {actions.map((a) => (
                <ActionRow key={a.name} action={a} workspaceId={workspaceId} onError={setError} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="form-row add-action" onSubmit={(e) => void add(e)}>
        <label class="field grow">
          <span>New conversion action</span>
          <input
            value={newName}
            pattern="[A-Za-z0-9_]{1,64}"
            maxLength={64}
            placeholder="e.g. BookDemo"
            onInput={(e) => setNewName(e.currentTarget.value)}
          />
        </label>
        <button type="submit" class="btn" disabled={newName.trim() === ""}>
          Add action
        </button>
      </form>
    </section>
  );
}

function ActionRow({
  action,
  workspaceId,
  onError,
}: {
  action: ConversionAction;
  workspaceId: string;
  onError: (e: string | null) => void;
}) {
  const [saved, setSaved] = useState(action);
  const [draft, setDraft] = useState(action);
  const [busy, setBusy] = useState(false);
  const dirty = JSON.stringify(saved) !== JSON.stringify(draft);

  const save = async () => {
    setBusy(true);
    onError(null);
    try {
      const body = {
        required: draft.required,
        click_window_days: Number(draft.click_window_days),
        view_window_days: Number(draft.view_window_days),
      };
      const a = await api.send<ConversionAction>(
        "PUT",
        `/v1/conversion-actions/${encodeURIComponent(action.name)}`,
        body,
        workspaceId,
      );
      setSaved(a);
      setDraft(a);
    } catch (err) {
      onError(`${action.name}: ${errorText(err)}`);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (f: string) =>
    setDraft({
      ...draft,
      required: draft.required.includes(f) ? draft.required.filter((x) => x !== f) : [...draft.required, f],
    });

  return (
    <tr>
      <th scope="row">{action.name}</th>
      <td>
        <fieldset class="chips">
          <legend class="sr-only">Fields {action.name} requires</legend>
          {REQUIRABLE.map((f) => (
            <label key={f} class={`chip${draft.required.includes(f) ? " chip-on" : ""}`}>
              <input type="checkbox" checked={draft.required.includes(f)} onChange={() => toggle(f)} />
              {f}
            </label>
          ))}
        </fieldset>
      </td>
      <WindowCell
        label={`${action.name} click window in days`}
        value={draft.click_window_days}
        onChange={(days) => setDraft({ ...draft, click_window_days: days })}
      />
      <WindowCell
        label={`${action.name} view window in days`}
        value={draft.view_window_days}
        onChange={(days) => setDraft({ ...draft, view_window_days: days })}
      />
      <td>
        <button
          type="button"
          class="btn btn-small"
          disabled={!dirty || busy}
          onClick={() => void save()}
          aria-label={`Save ${action.name}`}
        >
          {busy ? "Saving…" : "Save"}
        </button>
      </td>
    </tr>
  );
}

/** One window (0–90 days, fractions allowed) as an editable table cell. */
function WindowCell({
  label,
  value,
  onChange,
}: {
  label: string;
  value: number;
  onChange: (days: number) => void;
}) {
  return (
    <td class="num">
      <input
        class="num-input"
        type="number"
        min={0}
        max={90}
        step="any"
        aria-label={label}
        value={value}
        onInput={(e) => onChange(Number(e.currentTarget.value))}
      />
      <span class="unit">days</span>
    </td>
  );
}
