/**
 * The rules of a workspace with their state (each key's last value, whether it holds, when
 * it last fired and until when it cools down), and a form to create one. Re-read every few
 * seconds and whenever a signal arrives.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { ago } from "./format.js";

export interface RuleKeyState {
  key: string;
  platform: string;
  value: number | null;
  holds: boolean;
  last_fired_at: string | null;
  cooldown_until: string | null;
}

export interface Rule {
  id: string;
  name: string;
  metric: string;
  op: string;
  threshold: number;
  window_hours: number;
  group_by: string;
  signal: string;
  cooldown_minutes: number;
  enabled: boolean;
  state: { evaluated_at: string | null; last_fired_at: string | null; keys: RuleKeyState[] };
}

const METRICS = ["cpa", "roas", "conversions", "value", "spend", "conversion_rate"];
const OPS = ["<", "<=", ">", ">="];
const SIGNALS = ["notify", "increase_budget", "decrease_budget", "pause"];
const GROUPS = ["campaign", "platform", "ad"];

const fmt = (v: number | null) => (v === null ? "—" : Number.isInteger(v) ? String(v) : v.toFixed(2));

function RuleForm({ workspaceId, onCreated }: { workspaceId: string; onCreated: () => void }) {
  const [form, setForm] = useState({
    name: "",
    metric: "cpa",
    op: ">",
    threshold: "40",
    window_hours: "24",
    group_by: "campaign",
    signal: "notify",
    cooldown_minutes: "60",
  });
  const [error, setError] = useState<string | null>(null);
  const set = (k: keyof typeof form) => (e: Event) =>
    setForm({ ...form, [k]: (e.currentTarget as HTMLInputElement | HTMLSelectElement).value });
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    try {
      await api.send(
        "POST",
        "/v1/rules",
        {
          ...form,
          threshold: Number(form.threshold),
          window_hours: Number(form.window_hours),
          cooldown_minutes: Number(form.cooldown_minutes),
        },
        workspaceId,
      );
      setForm({ ...form, name: "" });
      onCreated();
    } catch (err) {
      setError(err instanceof ApiError ? `${err.field ? `${err.field}: ` : ""}${err.message}` : String(err));
    }
  };
  const select = (k: keyof typeof form, values: string[], label: string) => (
    <label>
      {label}
      <select name={k} value={form[k]} onChange={set(k)}>
        {values.map((v) => (
          <option key={v} value={v}>
            {v}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <form class="rule-form" onSubmit={(e) => void submit(e)} aria-label="New rule">
      <label>
        Name
        <input name="name" value={form.name} onInput={set("name")} required maxLength={128} />
      </label>
      {select("metric", METRICS, "Metric")}
      {select("op", OPS, "Is")}
      <label>
        Threshold
        <input name="threshold" type="number" step="any" value={form.threshold} onInput={set("threshold")} />
      </label>
      <label>
        Window (hours)
        <input
          name="window_hours"
          type="number"
          step="any"
          value={form.window_hours}
          onInput={set("window_hours")}
        />
      </label>
      {select("group_by", GROUPS, "Per")}
      {select("signal", SIGNALS, "Signal")}
      <label>
        Cooldown (min)
        <input
          name="cooldown_minutes"
          type="number"
          value={form.cooldown_minutes}
          onInput={set("cooldown_minutes")}
        />
      </label>
      <button type="submit">Create rule</button>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

export function RulesPanel({ workspaceId, signalCount }: { workspaceId: string; signalCount: number }) {
  const [rules, setRules] = useState<Rule[] | null>(null);
  const [version, setVersion] = useState(0);
  useEffect(() => {
    let alive = true;
    const load = () =>
      api
        .get<{ data: Rule[] }>("/v1/rules", workspaceId)
        .then((r) => alive && setRules(r.data))
        .catch(() => undefined);
    void load();
    const t = window.setInterval(() => void load(), 5000);
    return () => {
      alive = false;
      clearInterval(t);
    };
  }, [workspaceId, version, signalCount]);

  const remove = async (id: string) => {
    await api.send("DELETE", `/v1/rules/${id}`, undefined, workspaceId);
    setVersion((v) => v + 1);
  };

  return (
    <section class="card" aria-labelledby="rules-title">
      <h2 id="rules-title">Rules</h2>
      <RuleForm workspaceId={workspaceId} onCreated={() => setVersion((v) => v + 1)} />
      {rules === null ? (
        <p class="muted">Loading…</p>
      ) : rules.length === 0 ? (
        <p class="muted">No rules yet: a rule watches CPA, ROAS, spend… per campaign and raises a signal.</p>
      ) : (
        <table class="rules-table">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Condition</th>
              <th>Keys (last value)</th>
              <th>Last fired</th>
              <th>Cooldown</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rules.map((r) => (
              <tr key={r.id} data-rule={r.id}>
                <td>
                  {r.name} {!r.enabled && <span class="muted">(off)</span>}
                </td>
                <td>
                  <code>
                    {r.metric} {r.op} {r.threshold}
                  </code>{" "}
                  over {r.window_hours} h per {r.group_by} → {r.signal}
                </td>
                <td class="rule-keys">
                  {r.state.keys.slice(0, 5).map((k) => (
                    <span key={`${k.platform}/${k.key}`} class={k.holds ? "key holds" : "key"}>
                      {k.platform}/{k.key}: {fmt(k.value)}
                    </span>
                  ))}
                </td>
                <td>{r.state.last_fired_at ? ago(r.state.last_fired_at) : "never"}</td>
                <td>
                  {r.state.keys.some((k) => k.cooldown_until)
                    ? `until ${new Date(
                        Math.max(
                          ...r.state.keys.map((k) => (k.cooldown_until ? Date.parse(k.cooldown_until) : 0)),
                        ),
                      ).toLocaleTimeString()}`
                    : `${r.cooldown_minutes} min`}
                </td>
                <td>
                  <button
                    type="button"
                    class="link"
                    onClick={() => void remove(r.id)}
                    aria-label={`Delete ${r.name}`}
                  >
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
