/**
 * Alert channels (POST/GET/DELETE /v1/alert-channels): a signed webhook, a Slack incoming
 * webhook or email over SMTP, each with the least severity it takes. Secrets go in and never
 * come back: the list shows where each channel sends, not with what.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { dateTime } from "./format.js";
import type { AlertChannel } from "./types.js";

type ChannelType = AlertChannel["type"];
const TYPE_LABEL: Record<ChannelType, string> = { webhook: "Webhook", slack: "Slack", email: "Email" };

function target(c: AlertChannel): string {
  const cfg = c.config ?? {};
  const s = (k: string) => (typeof cfg[k] === "string" ? cfg[k] : null);
  if (c.type === "webhook") return s("url") ?? "—";
  if (c.type === "slack") return s("webhook_host") ?? "—";
  const to = Array.isArray(cfg.to) ? (cfg.to as string[]).join(", ") : (s("to") ?? "—");
  return `${to} via ${s("smtp_host") ?? "?"}`;
}

export function AlertChannels({ workspaceId }: { workspaceId: string }) {
  const [channels, setChannels] = useState<AlertChannel[] | null>(null);
  const [error, setError] = useState<{ field: string | null; message: string } | null>(null);
  const [type, setType] = useState<ChannelType>("webhook");
  const [form, setForm] = useState<Record<string, string>>({});
  const [minSeverity, setMinSeverity] = useState<"warning" | "critical">("warning");
  const [busy, setBusy] = useState(false);

  const fail = (err: unknown) =>
    setError({
      field: err instanceof ApiError ? (err.field ?? null) : null,
      message: err instanceof ApiError ? err.message : "Tally could not be reached.",
    });
  const load = () =>
    api
      .get<{ data: AlertChannel[] }>("/v1/alert-channels", workspaceId)
      .then((r) => setChannels(r.data), fail);
  useEffect(() => void load(), [workspaceId]);

  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    const config =
      type === "webhook"
        ? { url: form.url ?? "", secret: form.secret ?? "" }
        : type === "slack"
          ? { webhook_url: form.webhook_url ?? "" }
          : { to: form.to ?? "", smtp_url: form.smtp_url ?? "", ...(form.from ? { from: form.from } : {}) };
    try {
      await api.send("POST", "/v1/alert-channels", { type, config, min_severity: minSeverity }, workspaceId);
      setForm({});
      await load();
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: string) => {
    setError(null);
    try {
      await api.send("DELETE", `/v1/alert-channels/${encodeURIComponent(id)}`, undefined, workspaceId);
      await load();
    } catch (err) {
      fail(err);
    }
  };
  const input = (name: string, label: string, placeholder: string, secret = false) => {
    const bad = error?.field === name || error?.field === `config.${name}`;
    const common = {
      name,
      value: form[name] ?? "",
      placeholder,
      autoComplete: "off",
      "aria-invalid": bad ? ("true" as const) : undefined,
      class: bad ? "input-invalid" : undefined,
      onInput: (e: Event) => setForm({ ...form, [name]: (e.currentTarget as HTMLInputElement).value }),
    };
    return (
      <label class="field grow">
        <span>{label}</span>
        {secret ? <input type="password" {...common} /> : <input type="text" {...common} />}
      </label>
    );
  };

  return (
    <section class="card pad-lg" aria-labelledby="channels-title">
      <h2 id="channels-title">Alert channels</h2>
      <p class="muted">
        Every alert that fires or resolves goes to each channel that takes its severity — durably: a channel
        that is down gets it when it is back.
      </p>
      {channels === null ? (
        !error && (
          <div class="loading" aria-busy="true">
            Loading…
          </div>
        )
      ) : channels.length === 0 ? (
        <p class="muted small">No channels yet: alerts show here and on the live feed only.</p>
      ) : (
        <div class="table-wrap">
          <table class="table alert-channels">
            <thead>
              <tr>
                <th scope="col">Type</th>
                <th scope="col">Sends to</th>
                <th scope="col">Least severity</th>
                <th scope="col">Added</th>
                <th scope="col">
                  <span class="sr-only">Delete</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {channels.map((c) => (
                <tr key={c.id} data-channel={c.id}>
                  <td>{TYPE_LABEL[c.type]}</td>
                  <td class="break">{target(c)}</td>
                  <td>{c.min_severity}</td>
                  <td class="nowrap">{dateTime(c.created_at)}</td>
                  <td>
                    <button
                      type="button"
                      class="btn btn-small"
                      onClick={() => void remove(c.id)}
                      aria-label={`Delete ${TYPE_LABEL[c.type]} channel ${target(c)}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <form class="channel-form" onSubmit={(e) => void add(e)} aria-label="Add an alert channel">
        <div class="form-row">
          <label class="field">
            <span>Type</span>
            <select
              name="type"
              value={type}
              onChange={(e) => {
                setType(e.currentTarget.value as ChannelType);
                setError(null);
              }}
            >
              <option value="webhook">Webhook (signed)</option>
              <option value="slack">Slack incoming webhook</option>
              <option value="email">Email (SMTP)</option>
            </select>
          </label>
          {type === "webhook" && (
            <>
              {input("url", "URL", "https://ops.example.com/tally")}
              {input("secret", "Signing secret (16+ characters)", "whsec_…", true)}
            </>
          )}
          {type === "slack" && input("webhook_url", "Webhook URL", "https://hooks.slack.com/services/…")}
          {type === "email" && (
            <>
              {input("to", "To", "ops@example.com")}
              {input("smtp_url", "SMTP URL", "smtps://user:pass@smtp.example.com:465")}
              {input("from", "From (optional)", "tally@example.com")}
            </>
          )}
          <label class="field">
            <span>Least severity</span>
            <select
              name="min_severity"
              value={minSeverity}
              onChange={(e) => setMinSeverity(e.currentTarget.value as "warning" | "critical")}
            >
              <option value="warning">warning (everything)</option>
              <option value="critical">critical only</option>
            </select>
          </label>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {busy ? "Adding…" : "Add channel"}
          </button>
        </div>
        {error && (
          <p class="form-error" role="alert">
            {error.message}
          </p>
        )}
      </form>
    </section>
  );
}
