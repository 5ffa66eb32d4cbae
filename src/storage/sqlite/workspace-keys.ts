/**
 * Workspace keys on the embedded store: lookup by a current or rotated-out key (table
 * `retired_keys`, migration 2) and rotation. The reader and the writer call these with their
 * own connection.
 */
import type Database from "better-sqlite3";
import type { Workspace } from "../../domain/workspace.js";
import type { KeyMatch, WorkspaceKeyKind } from "../storage.js";
import { rowToWorkspace, type WorkspaceRow } from "./rows.js";

const COLUMN = { public: "public_key", secret: "secret_key_hash" } as const;

export function findWorkspaceByKey(
  db: Database.Database,
  kind: WorkspaceKeyKind,
  value: string,
  now: number,
): KeyMatch | null {
  const col = COLUMN[kind];
  const current = db.prepare(`SELECT * FROM workspaces WHERE ${col} = ?`).get(value) as
    WorkspaceRow | undefined;
  if (current) return { workspace: rowToWorkspace(current), stored: current[col], expiresAt: null };
  const retired = db
    .prepare(
      `SELECT w.*, r.value AS retired_value, r.expires_at AS retired_expires_at
       FROM retired_keys r JOIN workspaces w ON w.id = r.workspace_id
       WHERE r.kind = ? AND r.value = ? AND r.expires_at > ?`,
    )
    .get(kind, value, now) as
    (WorkspaceRow & { retired_value: string; retired_expires_at: number }) | undefined;
  if (!retired) return null;
  return {
    workspace: rowToWorkspace(retired),
    stored: retired.retired_value,
    expiresAt: retired.retired_expires_at,
  };
}

/** Runs inside the writer's transaction. */
export function rotateWorkspaceKey(
  db: Database.Database,
  workspaceId: string,
  kind: WorkspaceKeyKind,
  newValue: string,
  oldExpiresAt: number,
  now: number,
): Workspace | null {
  const col = COLUMN[kind];
  const row = db.prepare("SELECT * FROM workspaces WHERE id = ?").get(workspaceId) as
    WorkspaceRow | undefined;
  if (!row) return null;
  db.prepare("DELETE FROM retired_keys WHERE workspace_id = ? AND expires_at <= ?").run(workspaceId, now);
  db.prepare(
    "UPDATE retired_keys SET expires_at = ? WHERE workspace_id = ? AND kind = ? AND expires_at > ?",
  ).run(oldExpiresAt, workspaceId, kind, oldExpiresAt);
  if (oldExpiresAt > now)
    db.prepare(
      "INSERT OR REPLACE INTO retired_keys (kind, value, workspace_id, expires_at) VALUES (?, ?, ?, ?)",
    ).run(kind, row[col], workspaceId, oldExpiresAt);
  db.prepare(`UPDATE workspaces SET ${col} = ? WHERE id = ?`).run(newValue, workspaceId);
  return rowToWorkspace({ ...row, [col]: newValue });
}
