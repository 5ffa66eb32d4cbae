/** Match quality as a developer wiring Tally reads it: the score out of 10, what it matched on, what to fix. */
import type { MatchQuality } from "./types.js";

export function scoreTone(score: number): "good" | "warn" | "bad" {
  return score >= 7 ? "good" : score >= 4 ? "warn" : "bad";
}

/** The score as a small badge (test events' summary line, tables). */
export function MatchScore({ mq }: { mq: MatchQuality }) {
  return (
    <span
      class={`mq-score mq-${scoreTone(mq.score)}`}
      title={`Match quality ${mq.score}/10${mq.problems.length ? ` · ${mq.problems.length} to fix` : ""}`}
    >
      {mq.score}/10
      {mq.problems.length > 0 && <span class="mq-problems-count"> · {mq.problems.length} to fix</span>}
    </span>
  );
}

export function MatchQualityPanel({
  mq,
  title = "Match quality",
}: {
  mq: MatchQuality | null;
  title?: string;
}) {
  if (!mq)
    return (
      <div class="mq-panel">
        <h3>{title}</h3>
        <p class="muted small">Not judged: the event was accepted before Tally rated match quality.</p>
      </div>
    );
  return (
    <div class="mq-panel" data-score={mq.score}>
      <h3>{title}</h3>
      <div class="mq-head">
        <MatchScore mq={mq} />
        <meter class="mq-meter" min={0} max={10} low={4} high={7} optimum={10} value={mq.score}>
          {mq.score}/10
        </meter>
      </div>
      <div class="small">
        Matched on:{" "}
        {mq.identifiers.length ? (
          mq.identifiers.map((k) => (
            <code key={k} class="chip-static">
              {k}
            </code>
          ))
        ) : (
          <span class="muted">nothing a platform can match on</span>
        )}
      </div>
      {mq.problems.length > 0 && (
        <ul class="mq-problems" aria-label="Problems to fix">
          {mq.problems.map((p) => (
            <li key={`${p.code}|${p.field}`}>
              <code>{p.code}</code> on <code>{p.field}</code>: {p.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
