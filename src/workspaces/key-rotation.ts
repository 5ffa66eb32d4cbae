/**
 * Key rotation (`POST /v1/workspace/keys/rotate`, `tally workspace rotate-key`): a new public
 * or secret key at once; the old one keeps working for the grace period, then is refused on
 * every node.
 *
 * Every node caches a key's answer (and the workspace it carries, public key included) for up
 * to the directory's TTL (2 s), so a node that looked the old key up just before the rotation
 * may keep that answer so long. The rotation therefore answers only once the TTL has passed,
 * and sets the old key's end to that moment plus the grace: from the answer on, every node
 * knows the new key and shows the new public key, and the old key works for exactly the grace
 * period (node clocks kept in sync, as any cluster's are), then is 401 everywhere. A rotation
 * takes the TTL to answer. Live-feed connections re-check their key every second, so those
 * opened with an old secret key close once its grace ends, on whichever node they are.
 *
 * @example
 * const r = await rotateWorkspaceKey({ store, workspaceId, kind: "secret", graceSeconds: 3600, cacheTtlMs: 2000 });
 * // r.key: the new sk_…, shown once; the old one works until r.oldKeyExpiresAt
 */
import type { Workspace } from "../domain/workspace.js";
import type { Store, WorkspaceKeyKind } from "../storage/storage.js";
import { hashKey } from "./directory.js";
import { newPublicKey, newSecretKey } from "./key-format.js";

/** The longest grace period (API.md): 7 days. */
export const MAX_GRACE_SECONDS = 7 * 24 * 3600;

export interface RotateOptions {
  store: Store;
  workspaceId: string;
  kind: WorkspaceKeyKind;
  graceSeconds: number;
  /** How long any node may cache a key's answer (the directory's TTL). */
  cacheTtlMs: number;
  now?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface Rotated {
  workspace: Workspace;
  /** The new key (the secret one is shown once: Tally keeps only its hash). */
  key: string;
  /** When the old key stops working (unix ms). */
  oldKeyExpiresAt: number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** When the old key ends, and when the rotation may answer, for a rotation made at `now`. */
export function rotationTimes(
  now: number,
  graceSeconds: number,
  cacheTtlMs: number,
): { oldKeyExpiresAt: number; answerAt: number } {
  const answerAt = now + cacheTtlMs;
  return { oldKeyExpiresAt: answerAt + graceSeconds * 1000, answerAt };
}

/** Rotates; resolves once the old key's remaining life is the grace period on every node. Null: no such workspace. */
export async function rotateWorkspaceKey(o: RotateOptions): Promise<Rotated | null> {
  if (!Number.isInteger(o.graceSeconds) || o.graceSeconds < 0 || o.graceSeconds > MAX_GRACE_SECONDS)
    throw new RangeError(`grace must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS}`);
  const now = o.now ?? Date.now();
  const { oldKeyExpiresAt, answerAt } = rotationTimes(now, o.graceSeconds, o.cacheTtlMs);
  const key = o.kind === "public" ? newPublicKey() : newSecretKey();
  const stored = o.kind === "public" ? key : hashKey(key);
  const workspace = await o.store.rotateWorkspaceKey(o.workspaceId, o.kind, stored, oldKeyExpiresAt, now);
  if (!workspace) return null;
  const wait = answerAt - Date.now();
  if (wait > 0) await (o.sleep ?? defaultSleep)(wait);
  return { workspace, key, oldKeyExpiresAt };
}
