/** The quality report's reads on the SQLite read connection (storage/quality-rows.ts). */
import type Database from "better-sqlite3";
import { QUALITY_TOP, type QualityQuery, type QualityReadout } from "../quality-rows.js";

export function qualityReadout(db: Database.Database, workspaceId: string, q: QualityQuery): QualityReadout {
  const range = (col: string) =>
    `${q.from !== null ? ` AND ${col} >= ${Number(q.from)}` : ""}${q.to !== null ? ` AND ${col} < ${Number(q.to)}` : ""}`;
  const b = Number(q.bucketMs);
  const clicks = db
    .prepare(
      `SELECT platform, campaign, ad, quality_flags AS flags, time - time % ${b} AS start, COUNT(*) AS n
       FROM touches WHERE workspace_id = ? AND kind = 'click'${range("time")}
       GROUP BY platform, campaign, ad, quality_flags, start`,
    )
    .all(workspaceId) as QualityReadout["clicks"];
  const conversions = db
    .prepare(
      `SELECT c.platform, c.campaign, c.ad, e.quality_flags AS flags, c.event_time - c.event_time % ${b} AS start,
              SUM(c.credit) AS n
       FROM credits c JOIN events e ON e.id = c.event_ref
       WHERE c.workspace_id = ? AND c.model = ?${range("c.event_time")}
       GROUP BY c.platform, c.campaign, c.ad, e.quality_flags, start`,
    )
    .all(workspaceId, q.model) as QualityReadout["conversions"];
  const unattributed = db
    .prepare(
      `SELECT quality_flags AS flags, COUNT(*) AS n FROM events
       WHERE workspace_id = ? AND is_conversion = 1 AND test_event_code IS NULL AND attributed = 0${range("event_time")}
       GROUP BY quality_flags`,
    )
    .all(workspaceId) as QualityReadout["unattributed"];
  const topKeys = db
    .prepare(
      `SELECT key, COUNT(*) AS n FROM (
         SELECT quality_key AS key FROM events WHERE workspace_id = ? AND quality_flags <> 0 AND quality_key IS NOT NULL${range("event_time")}
         UNION ALL
         SELECT quality_key FROM touches WHERE workspace_id = ? AND quality_flags <> 0 AND quality_key IS NOT NULL${range("time")})
       GROUP BY key ORDER BY n DESC, key LIMIT ${QUALITY_TOP}`,
    )
    .all(workspaceId, workspaceId) as QualityReadout["topKeys"];
  const topUserAgents = db
    .prepare(
      `SELECT json_extract(payload, '$.u.client_user_agent') AS userAgent, COUNT(*) AS n FROM events
       WHERE workspace_id = ? AND quality_flags <> 0 AND test_event_code IS NULL${range("event_time")}
         AND json_extract(payload, '$.u.client_user_agent') IS NOT NULL
       GROUP BY 1 ORDER BY n DESC, 1 LIMIT ${QUALITY_TOP}`,
    )
    .all(workspaceId) as QualityReadout["topUserAgents"];
  return { clicks, conversions, unattributed, topKeys, topUserAgents };
}
