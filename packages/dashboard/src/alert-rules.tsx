/**
 * Each alert kind's settings (GET /v1/alert-rules, PUT /v1/alert-rules/{kind}): on or off, the
 * window, the baseline, the threshold (its meaning beside it), the least count and severity.
 * A refused value shows the server's message, naming the field.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { KIND_LABEL } from "./diagnosis.js";
import type { AlertRule } from "./types.js";

const errorText = (err: unknown) => (err instanceof ApiError ? err.message : "Tally could not be reached.");
type Draft = Omit<AlertRule, "kind" | "threshold_meaning">;
const FIELDS = [
  "enabled",
  "window_seconds",
  "baseline_seconds",
  "threshold",
  "min_count",
  "severity",
] as const;

export function AlertRules({ workspaceId }: { workspaceId: string }) {
  const [rules, setRules] = useState<AlertRule[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.get<{ data: AlertRule[] }>("/v1/alert-rules", workspaceId).then(
      (r) => setRules(r.data),
      (err: unknown) => setError(errorText(err)),
    );
  }, [workspaceId]);

  return (
    <section class="card pad-lg" aria-labelledby="rules-title">
      <h2 id="rules-title">Alert rules</h2>
      <p class="muted">
        Windows are in seconds (at least 10, rounded up to a multiple of 10); a change applies within 5 s on
        every node. The formulas are in the monitoring docs.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {rules === null ? (
        !error && (
          <div class="loading" aria-busy="true">
            Loading…
          </div>
        )
      ) : (
        <div class="table-wrap">
          <table class="table alert-rules">
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">On</th>
                <th scope="col" class="num">
                  Window (s)
                </th>
                <th scope="col" class="num">
                  Baseline (s)
                </th>
                <th scope="col" class="num">
                  Threshold
                </th>
                <th scope="col" class="num">
                  Min count
                </th>
                <th scope="col">Severity</th>
                <th scope="col">
                  <span class="sr-only">Save</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rules.map((r) => (
                <RuleRow key={r.kind} rule={r} workspaceId={workspaceId} />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function RuleRow({ rule, workspaceId }: { rule: AlertRule; workspaceId: string }) {
  const [saved, setSaved] = useState(rule);
  const [draft, setDraft] = useState<Draft>(rule);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<{ field: string | null; message: string } | null>(null);
  const changed = FIELDS.filter((f) => draft[f] !== saved[f]);
  const label = KIND_LABEL[rule.kind] ?? rule.kind;

  const save = async () => {
    setBusy(true);
    setError(null);
    try {
      const patch = Object.fromEntries(changed.map((f) => [f, draft[f]]));
      const r = await api.send<AlertRule>("PUT", `/v1/alert-rules/${rule.kind}`, patch, workspaceId);
      setSaved(r);
      setDraft(r);
    } catch (err) {
      setError({ field: err instanceof ApiError ? (err.field ?? null) : null, message: errorText(err) });
    } finally {
      setBusy(false);
    }
  };
  const num = (f: "window_seconds" | "baseline_seconds" | "threshold" | "min_count", step: string) => (
    <td class="num">
      <input
        class={`num-input${error?.field === f ? " input-invalid" : ""}`}
        type="number"
        step={step}
        aria-label={`${label} ${f.replace(/_/g, " ")}`}
        aria-invalid={error?.field === f ? "true" : undefined}
        value={draft[f]}
        title={f === "threshold" ? rule.threshold_meaning : undefined}
        onInput={(e) => setDraft({ ...draft, [f]: Number(e.currentTarget.value) })}
      />
    </td>
  );

  return (
    <>
      <tr data-kind={rule.kind}>
        <th scope="row">
          {label}
          <div class="hint">{rule.threshold_meaning}</div>
        </th>
        <td>
          <input
            type="checkbox"
            aria-label={`${label} enabled`}
            checked={draft.enabled}
            onChange={(e) => setDraft({ ...draft, enabled: e.currentTarget.checked })}
          />
        </td>
        {num("window_seconds", "10")}
        {num("baseline_seconds", "10")}
        {num("threshold", "any")}
        {num("min_count", "1")}
        <td>
          <select
            aria-label={`${label} severity`}
            value={draft.severity}
            onChange={(e) => setDraft({ ...draft, severity: e.currentTarget.value as Draft["severity"] })}
          >
            <option value="warning">warning</option>
            <option value="critical">critical</option>
          </select>
        </td>
        <td>
          <button
            type="button"
            class="btn btn-small"
            disabled={changed.length === 0 || busy}
            onClick={() => void save()}
            aria-label={`Save ${label}`}
          >
            {busy ? "Saving…" : "Save"}
          </button>
        </td>
      </tr>
      {error && (
        <tr class="row-error">
          <td colSpan={8}>
            <p class="form-error" role="alert">
              {label}: {error.message}
            </p>
          </td>
        </tr>
      )}
    </>
  );
}
