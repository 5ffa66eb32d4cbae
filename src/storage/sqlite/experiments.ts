/**
 * Experiments on the embedded store: the writer's statements (a person's first exposure, the
 * variants seen, moving exposures when two persons merge) and the report's reads.
 */
import type Database from "better-sqlite3";
import {
  countsOf,
  summarize,
  type ExperimentCounts,
  type ExperimentQuery,
  type ExperimentSummary,
} from "../../experiments/types.js";

/** The writer side; statements prepared once on the write connection. */
export class SqliteExperimentWrites {
  private readonly exposure: Database.Statement;
  private readonly variant: Database.Statement;
  private readonly dropLaterOld: Database.Statement;
  private readonly dropLaterNew: Database.Statement;
  private readonly move: Database.Statement;
  private readonly moveConversions: Database.Statement;

  constructor(db: Database.Database) {
    // The earlier exposure wins: a person belongs to the first variant they were seen in.
    this.exposure = db.prepare(
      `INSERT INTO experiment_exposures (workspace_id, experiment, person, variant, first_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, experiment, person) DO UPDATE SET variant = excluded.variant, first_at = excluded.first_at
       WHERE excluded.first_at < experiment_exposures.first_at`,
    );
    this.variant = db.prepare(
      `INSERT INTO experiment_variants (workspace_id, experiment, variant, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, experiment, variant) DO UPDATE SET
         first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)`,
    );
    // Two persons merge (identity graph relabelling `from` into `to`): per experiment the
    // earlier first exposure survives, then the rest moves.
    this.dropLaterOld = db.prepare(
      `DELETE FROM experiment_exposures AS o WHERE o.workspace_id = ? AND o.person = ? AND EXISTS (
         SELECT 1 FROM experiment_exposures n WHERE n.workspace_id = o.workspace_id AND n.experiment = o.experiment
           AND n.person = ? AND n.first_at <= o.first_at)`,
    );
    this.dropLaterNew = db.prepare(
      `DELETE FROM experiment_exposures AS n WHERE n.workspace_id = ? AND n.person = ? AND EXISTS (
         SELECT 1 FROM experiment_exposures o WHERE o.workspace_id = n.workspace_id AND o.experiment = n.experiment
           AND o.person = ? AND o.first_at < n.first_at)`,
    );
    this.move = db.prepare(
      "UPDATE experiment_exposures SET person = ? WHERE workspace_id = ? AND person = ?",
    );
    this.moveConversions = db.prepare(
      "UPDATE events SET person = ? WHERE workspace_id = ? AND person = ? AND is_conversion = 1 AND person IS NOT NULL",
    );
  }

  recordExposure(workspaceId: string, experiment: string, variant: string, person: string, at: number): void {
    this.exposure.run(workspaceId, experiment, person, variant, at);
    this.variant.run(workspaceId, experiment, variant, at, at);
  }

  /** Moves `from`'s exposures and conversions to `to` (called when the graph relabels `from`). */
  relabel(workspaceId: string, from: string, to: string): void {
    this.dropLaterOld.run(workspaceId, from, to);
    this.dropLaterNew.run(workspaceId, to, from);
    this.move.run(to, workspaceId, from);
    this.moveConversions.run(to, workspaceId, from);
  }
}

export function listExperiments(db: Database.Database, workspaceId: string): ExperimentSummary[] {
  const rows = db
    .prepare(
      `SELECT experiment, variant, first_seen, last_seen FROM experiment_variants
       WHERE workspace_id = ? ORDER BY experiment, variant`,
    )
    .all(workspaceId) as { experiment: string; variant: string; first_seen: number; last_seen: number }[];
  return summarize(rows);
}

/** Null when the workspace never saw the experiment. */
export function experimentCounts(
  db: Database.Database,
  workspaceId: string,
  q: ExperimentQuery,
): ExperimentCounts | null {
  const variants = (
    db
      .prepare(
        "SELECT variant FROM experiment_variants WHERE workspace_id = ? AND experiment = ? ORDER BY variant",
      )
      .all(workspaceId, q.experiment) as { variant: string }[]
  ).map((r) => r.variant);
  if (variants.length === 0) return null;
  const from = q.from ?? Number.MIN_SAFE_INTEGER;
  const to = q.to ?? Number.MAX_SAFE_INTEGER;
  const visitors = db
    .prepare(
      `SELECT variant, COUNT(*) AS n FROM experiment_exposures
       WHERE workspace_id = ? AND experiment = ? AND first_at >= ? AND first_at < ? GROUP BY variant`,
    )
    .all(workspaceId, q.experiment, from, to) as { variant: string; n: number }[];
  // Driven by the conversions in range (fewer than the exposures), each looked up in the
  // exposures by its person: CROSS JOIN keeps SQLite from turning the loop around.
  const converters = db
    .prepare(
      `SELECT variant, COUNT(*) AS converters, SUM(n) AS conversions, SUM(v) AS value, SUM(v * v) AS squares FROM (
         SELECT x.variant AS variant, x.person AS person, COUNT(*) AS n,
                SUM(CASE WHEN c.currency IS NULL OR c.currency = ? THEN COALESCE(c.value, 0) ELSE 0 END) AS v
         FROM events AS c INDEXED BY events_experiment CROSS JOIN experiment_exposures AS x
         WHERE c.workspace_id = ? AND c.is_conversion = 1 AND c.test_event_code IS NULL AND c.retracted = 0
           AND c.event_time >= ? AND c.event_time < ? AND c.event_name = ? AND c.person IS NOT NULL${
             q.excludeFlagged ? " AND c.quality_flags = 0" : ""
           }
           AND x.workspace_id = c.workspace_id AND x.experiment = ? AND x.person = c.person
           AND x.first_at >= ? AND x.first_at < ? AND x.first_at <= c.event_time
         GROUP BY x.person)
       GROUP BY variant`,
    )
    .all(q.currency, workspaceId, from, to, q.eventName, q.experiment, from, to) as {
    variant: string;
    converters: number;
    conversions: number;
    value: number;
    squares: number;
  }[];
  return countsOf(variants, visitors, converters);
}
