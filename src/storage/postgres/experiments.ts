/**
 * Experiments on PostgreSQL: the commit transaction's statements (a person's first exposure,
 * the variants seen, moving exposures when two persons merge) and the report's reads. Same
 * rules as storage/sqlite/experiments.ts.
 */
import type pg from "pg";
import {
  countsOf,
  summarize,
  type ExperimentCounts,
  type ExperimentQuery,
  type ExperimentSummary,
} from "../../experiments/types.js";

type Queryable = Pick<pg.ClientBase, "query">;

export async function recordExposure(
  c: Queryable,
  workspaceId: string,
  experiment: string,
  variant: string,
  person: string,
  at: number,
): Promise<void> {
  await c.query(
    `WITH e AS (
       INSERT INTO experiment_exposures (workspace_id, experiment, person, variant, first_at) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (workspace_id, experiment, person) DO UPDATE SET variant = excluded.variant, first_at = excluded.first_at
       WHERE excluded.first_at < experiment_exposures.first_at)
     INSERT INTO experiment_variants (workspace_id, experiment, variant, first_seen, last_seen) VALUES ($1, $2, $4, $5, $5)
     ON CONFLICT (workspace_id, experiment, variant) DO UPDATE SET
       first_seen = LEAST(experiment_variants.first_seen, excluded.first_seen),
       last_seen = GREATEST(experiment_variants.last_seen, excluded.last_seen)`,
    [workspaceId, experiment, person, variant, at],
  );
}

/** Moves `from`'s exposures and conversions to `to`; per experiment the earlier exposure wins. */
export async function relabelExperiments(
  c: Queryable,
  workspaceId: string,
  from: string,
  to: string,
): Promise<void> {
  await c.query(
    `WITH gone AS (
       DELETE FROM experiment_exposures o USING experiment_exposures n
       WHERE o.workspace_id = $1 AND o.person = $2 AND n.workspace_id = $1 AND n.person = $3
         AND n.experiment = o.experiment AND n.first_at <= o.first_at RETURNING o.experiment)
     DELETE FROM experiment_exposures n USING experiment_exposures o
     WHERE n.workspace_id = $1 AND n.person = $3 AND o.workspace_id = $1 AND o.person = $2
       AND o.experiment = n.experiment AND o.first_at < n.first_at
       AND o.experiment NOT IN (SELECT experiment FROM gone)`,
    [workspaceId, from, to],
  );
  await c.query("UPDATE experiment_exposures SET person = $3 WHERE workspace_id = $1 AND person = $2", [
    workspaceId,
    from,
    to,
  ]);
  await c.query(
    "UPDATE events SET person = $3 WHERE workspace_id = $1 AND person = $2 AND is_conversion AND person IS NOT NULL",
    [workspaceId, from, to],
  );
}

export async function listExperiments(c: Queryable, workspaceId: string): Promise<ExperimentSummary[]> {
  const { rows } = await c.query<{
    experiment: string;
    variant: string;
    first_seen: string;
    last_seen: string;
  }>(
    `SELECT experiment, variant, first_seen, last_seen FROM experiment_variants
     WHERE workspace_id = $1 ORDER BY experiment, variant`,
    [workspaceId],
  );
  return summarize(
    rows.map((r) => ({ ...r, first_seen: Number(r.first_seen), last_seen: Number(r.last_seen) })),
  );
}

/**
 * Per-variant counts, in one read-only transaction with room to aggregate a million persons in
 * memory (the default work_mem makes PostgreSQL spill the per-person aggregate to disk).
 */
export async function experimentCounts(
  pool: pg.Pool,
  workspaceId: string,
  q: ExperimentQuery,
): Promise<ExperimentCounts | null> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN READ ONLY");
    await client.query("SET LOCAL work_mem = '64MB'");
    const counts = await countsIn(client, workspaceId, q);
    await client.query("COMMIT");
    return counts;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

async function countsIn(
  c: Queryable,
  workspaceId: string,
  q: ExperimentQuery,
): Promise<ExperimentCounts | null> {
  const variants = (
    await c.query<{ variant: string }>(
      "SELECT variant FROM experiment_variants WHERE workspace_id = $1 AND experiment = $2 ORDER BY variant",
      [workspaceId, q.experiment],
    )
  ).rows.map((r) => r.variant);
  if (variants.length === 0) return null;
  const from = q.from ?? Number.MIN_SAFE_INTEGER;
  const to = q.to ?? Number.MAX_SAFE_INTEGER;
  // One after the other on this connection (PostgreSQL runs each with its parallel workers).
  const visitors = await c.query<{ variant: string; n: string }>(
    `SELECT variant, COUNT(*) AS n FROM experiment_exposures
       WHERE workspace_id = $1 AND experiment = $2 AND first_at >= $3 AND first_at < $4 GROUP BY variant`,
    [workspaceId, q.experiment, from, to],
  );
  const converters = await c.query<{
    variant: string;
    converters: string;
    conversions: string;
    value: number;
    squares: number;
  }>(
    `SELECT variant, COUNT(*) AS converters, SUM(n) AS conversions, SUM(v) AS value, SUM(v * v) AS squares FROM (
         SELECT x.variant, x.person, COUNT(*) AS n,
                SUM(CASE WHEN c.currency IS NULL OR c.currency = $1 THEN COALESCE(c.value, 0) ELSE 0 END)::float8 AS v
         FROM events c JOIN experiment_exposures x
           ON x.workspace_id = c.workspace_id AND x.experiment = $4 AND x.person = c.person
         WHERE c.workspace_id = $2 AND c.is_conversion AND c.test_event_code IS NULL AND NOT c.retracted
           AND c.event_time >= $5 AND c.event_time < $6 AND c.event_name = $3 AND c.person IS NOT NULL${
             q.excludeFlagged ? " AND c.quality_flags = 0" : ""
           }
           AND x.first_at >= $5 AND x.first_at < $6 AND x.first_at <= c.event_time
         GROUP BY x.variant, x.person) per_person
       GROUP BY variant`,
    [q.currency, workspaceId, q.eventName, q.experiment, from, to],
  );
  return countsOf(
    variants,
    visitors.rows.map((r) => ({ variant: r.variant, n: Number(r.n) })),
    converters.rows.map((r) => ({
      variant: r.variant,
      converters: Number(r.converters),
      conversions: Number(r.conversions),
      value: Number(r.value),
      squares: Number(r.squares),
    })),
  );
}
