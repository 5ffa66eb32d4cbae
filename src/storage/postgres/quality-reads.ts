/** The quality report's reads on PostgreSQL (storage/quality-rows.ts). */
import type pg from "pg";
import { QUALITY_TOP, type QualityQuery, type QualityReadout } from "../quality-rows.js";

export async function qualityReadout(
  pool: pg.Pool,
  workspaceId: string,
  q: QualityQuery,
): Promise<QualityReadout> {
  // Numbers only (checked at the edge), so written into the statement.
  const range = (col: string) =>
    `${q.from !== null ? ` AND ${col} >= ${Number(q.from)}` : ""}${q.to !== null ? ` AND ${col} < ${Number(q.to)}` : ""}`;
  const b = Number(q.bucketMs);
  const num = <T extends { n: unknown }>(rows: T[]) => rows.map((r) => ({ ...r, n: Number(r.n) }));
  const [clicks, conversions, unattributed, topKeys, topUserAgents] = await Promise.all([
    pool.query<QualityReadout["clicks"][number]>(
      `SELECT platform, campaign, ad, quality_flags AS flags, (time - time % ${b})::float8 AS start, COUNT(*) AS n
       FROM touches WHERE workspace_id = $1 AND kind = 'click'${range("time")}
       GROUP BY platform, campaign, ad, quality_flags, 5`,
      [workspaceId],
    ),
    pool.query<QualityReadout["conversions"][number]>(
      `SELECT c.platform, c.campaign, c.ad, e.quality_flags AS flags,
              (c.event_time - c.event_time % ${b})::float8 AS start, SUM(c.credit) AS n
       FROM credits c JOIN events e ON e.id = c.event_ref AND e.workspace_id = c.workspace_id
       WHERE c.workspace_id = $1 AND c.model = $2${range("c.event_time")}
       GROUP BY c.platform, c.campaign, c.ad, e.quality_flags, 5`,
      [workspaceId, q.model],
    ),
    pool.query<QualityReadout["unattributed"][number]>(
      `SELECT quality_flags AS flags, COUNT(*) AS n FROM events
       WHERE workspace_id = $1 AND is_conversion AND test_event_code IS NULL AND NOT attributed${range("event_time")}
       GROUP BY quality_flags`,
      [workspaceId],
    ),
    pool.query<QualityReadout["topKeys"][number]>(
      `SELECT key, COUNT(*) AS n FROM (
         SELECT quality_key AS key FROM events WHERE workspace_id = $1 AND quality_flags <> 0 AND quality_key IS NOT NULL${range("event_time")}
         UNION ALL
         SELECT quality_key FROM touches WHERE workspace_id = $1 AND quality_flags <> 0 AND quality_key IS NOT NULL${range("time")}) k
       GROUP BY key ORDER BY n DESC, key LIMIT ${QUALITY_TOP}`,
      [workspaceId],
    ),
    pool.query<QualityReadout["topUserAgents"][number]>(
      `SELECT payload::jsonb -> 'u' ->> 'client_user_agent' AS "userAgent", COUNT(*) AS n FROM events
       WHERE workspace_id = $1 AND quality_flags <> 0 AND test_event_code IS NULL${range("event_time")}
         AND payload::jsonb -> 'u' ->> 'client_user_agent' IS NOT NULL
       GROUP BY 1 ORDER BY n DESC, 1 LIMIT ${QUALITY_TOP}`,
      [workspaceId],
    ),
  ]);
  return {
    clicks: num(clicks.rows).map((r) => ({ ...r, start: Number(r.start) })),
    conversions: num(conversions.rows).map((r) => ({ ...r, start: Number(r.start) })),
    unattributed: num(unattributed.rows),
    topKeys: num(topKeys.rows),
    topUserAgents: num(topUserAgents.rows),
  };
}
