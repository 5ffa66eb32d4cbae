/**
 * Workspace keys on PostgreSQL: lookup by a current or rotated-out key (table `retired_keys`,
 * migration 2) and rotation in one transaction (the workspace row locked, so two nodes
 * rotating at once queue up rather than lose a key).
 */
import type pg from "pg";
import type { Workspace } from "../../domain/workspace.js";
import type { KeyMatch, WorkspaceKeyKind } from "../storage.js";
import { inTransaction } from "./pg-writes.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";

const COLUMN = { public: "public_key", secret: "secret_key_hash" } as const;

export async function findWorkspaceByKey(
  pool: pg.Pool,
  kind: WorkspaceKeyKind,
  value: string,
  now: number,
): Promise<KeyMatch | null> {
  const col = COLUMN[kind];
  const r = await pool.query<
    WorkspaceRow & { retired_value: string | null; retired_expires_at: number | null }
  >(
    `SELECT w.*, NULL AS retired_value, NULL::bigint AS retired_expires_at FROM workspaces w WHERE w.${col} = $2
     UNION ALL
     SELECT w.*, r.value, r.expires_at FROM retired_keys r JOIN workspaces w ON w.id = r.workspace_id
     WHERE r.kind = $1 AND r.value = $2 AND r.expires_at > $3
     LIMIT 1`,
    [kind, value, now],
  );
  const row = r.rows[0];
  if (!row) return null;
  if (row.retired_value === null)
    return { workspace: rowToWorkspace(row), stored: row[col], expiresAt: null };
  return {
    workspace: rowToWorkspace(row),
    stored: row.retired_value,
    expiresAt: Number(row.retired_expires_at),
  };
}

export function rotateWorkspaceKey(
  pool: pg.Pool,
  workspaceId: string,
  kind: WorkspaceKeyKind,
  newValue: string,
  oldExpiresAt: number,
  now: number,
): Promise<Workspace | null> {
  const col = COLUMN[kind];
  return inTransaction(pool, async (c) => {
    const cur = await c.query<WorkspaceRow>("SELECT * FROM workspaces WHERE id = $1 FOR UPDATE", [
      workspaceId,
    ]);
    const row = cur.rows[0];
    if (!row) return null;
    await c.query("DELETE FROM retired_keys WHERE workspace_id = $1 AND expires_at <= $2", [
      workspaceId,
      now,
    ]);
    await c.query(
      "UPDATE retired_keys SET expires_at = $1 WHERE workspace_id = $2 AND kind = $3 AND expires_at > $1",
      [oldExpiresAt, workspaceId, kind],
    );
    if (oldExpiresAt > now)
      await c.query(
        `INSERT INTO retired_keys (kind, value, workspace_id, expires_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (kind, value) DO UPDATE SET expires_at = excluded.expires_at`,
        [kind, row[col], workspaceId, oldExpiresAt],
      );
    const updated = await c.query<WorkspaceRow>(
      `UPDATE workspaces SET ${col} = $1 WHERE id = $2 RETURNING *`,
      [newValue, workspaceId],
    );
    return rowToWorkspace(updated.rows[0]!);
  });
}
