/** The last signals of a workspace: those stored before the page opened, then live. */
import { useEffect, useState } from "preact/hooks";
import { api } from "./api.js";
import { clock } from "./format.js";
import type { Signal } from "./types.js";

const fmt = (v: number | null) => (v === null ? "∞ / none" : Number.isInteger(v) ? String(v) : v.toFixed(2));

export function SignalsPanel({ workspaceId, live }: { workspaceId: string; live: Signal[] }) {
  const [stored, setStored] = useState<Signal[]>([]);
  useEffect(() => {
    let alive = true;
    api
      .get<{ data: Signal[] }>("/v1/signals?limit=50", workspaceId)
      .then((r) => alive && setStored(r.data))
      .catch(() => undefined);
    return () => {
      alive = false;
    };
  }, [workspaceId]);
  const seen = new Set(live.map((s) => s.id));
  const all = [...live, ...stored.filter((s) => !seen.has(s.id))].slice(0, 50);
  return (
    <section class="card" aria-labelledby="signals-title">
      <h2 id="signals-title">Last signals</h2>
      {all.length === 0 ? (
        <p class="muted">No signal yet.</p>
      ) : (
        <ul class="signal-list" aria-live="polite">
          {all.map((s) => (
            <li key={s.id} class="signal-item" data-signal={s.id}>
              <time dateTime={s.at}>{clock(s.at)}</time> <strong>{s.signal}</strong> {s.platform}/{s.key} —{" "}
              {s.rule}: {s.metric} {fmt(s.value)} (threshold {s.threshold})
              {s.applied && (
                <span class={`applied applied-${s.applied.status}`}>
                  {" "}
                  · {s.applied.status}
                  {s.applied.to !== undefined ? ` → ${s.applied.to}` : ""}
                  {s.applied.error ? `: ${s.applied.error}` : ""}
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
