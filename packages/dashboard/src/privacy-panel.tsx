/**
 * Privacy: the workspace's erasure log (`GET /v1/erasures`) — when each person was forgotten
 * and how many identifiers went, never which — and how to erase someone.
 */
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "./api.js";
import { CodeBlock } from "./snippet.js";
import { ago, count, dateTime } from "./format.js";

interface Erasure {
  id: string;
  erased_at: string;
  identifiers: number;
}

export function PrivacyPanel({ workspaceId }: { workspaceId: string }) {
  const [log, setLog] = useState<Erasure[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    api.get<{ data: Erasure[] }>("/v1/erasures", workspaceId).then(
      (r) => setLog(r.data),
      (err: unknown) => setError(err instanceof ApiError ? err.message : "Tally could not be reached."),
    );
  }, [workspaceId]);

  const howTo = `tally erase --email jane@example.com --key $TALLY_SECRET_KEY
# or: curl -X POST ${location.origin}/v1/erasure -H "Authorization: Bearer $TALLY_SECRET_KEY" \\
#        -H "Content-Type: application/json" -d '{"email": "jane@example.com"}'`;

  return (
    <section class="card pad-lg wide" aria-labelledby="privacy-title">
      <h2 id="privacy-title">Privacy</h2>
      <p class="muted">
        Erasing a person removes their identifiers, click ids, IP and user agent from everything Tally stores;
        their conversions keep their value and credit. Each erasure is logged here — when, and how many
        identifiers, never which.
      </p>
      {error && (
        <p class="form-error" role="alert">
          {error}
        </p>
      )}
      {log === null && !error ? (
        <div class="loading" aria-busy="true">
          Loading…
        </div>
      ) : log !== null && log.length === 0 ? (
        <p class="muted">No erasures yet.</p>
      ) : log !== null ? (
        <div class="table-wrap">
          <table class="table erasures" aria-label="Erasure log">
            <thead>
              <tr>
                <th scope="col">Erased</th>
                <th scope="col" class="num">
                  Identifiers
                </th>
              </tr>
            </thead>
            <tbody>
              {log.map((e) => (
                <tr key={e.id}>
                  <td>
                    <time dateTime={e.erased_at} title={e.erased_at}>
                      {dateTime(e.erased_at)}
                    </time>{" "}
                    <span class="muted">({ago(e.erased_at)})</span>
                  </td>
                  <td class="num">{count(e.identifiers)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <p class="muted">To erase a person, name them by any identifier Tally knows them by:</p>
      <CodeBlock code={howTo} label="Erase a person" lang="Shell" />
    </section>
  );
}
