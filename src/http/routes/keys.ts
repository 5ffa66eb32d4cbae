/**
 * `POST /v1/workspace/keys/rotate` (secret key, or the dashboard acting on a workspace):
 * `{"key": "public" | "secret", "grace_seconds"?: 0}` → `200 {"public_key"}` or
 * `{"secret_key"}`, plus when the old key stops working. See workspaces/key-rotation.ts for
 * why the answer waits for the key caches of every node.
 */
import type { FastifyInstance } from "fastify";
import { HttpError } from "../../domain/errors.js";
import { isoTime } from "../../domain/time.js";
import { MAX_GRACE_SECONDS, rotateWorkspaceKey } from "../../workspaces/key-rotation.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, invalid } from "../params.js";
import { rotateKeySchema } from "../schemas/keys.js";

export function keyRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/workspace/keys/rotate", { schema: rotateKeySchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    for (const k of Object.keys(b))
      if (k !== "key" && k !== "grace_seconds")
        throw invalid(k, `\`${k}\` is not a field of a key rotation; send \`key\` and \`grace_seconds\`.`);
    if (b.key !== "public" && b.key !== "secret")
      throw invalid("key", '`key` must be "public" or "secret": the key to replace.');
    const grace = b.grace_seconds === undefined ? 0 : b.grace_seconds;
    if (typeof grace !== "number" || !Number.isInteger(grace) || grace < 0 || grace > MAX_GRACE_SECONDS)
      throw invalid(
        "grace_seconds",
        `\`grace_seconds\` must be a whole number of seconds from 0 to ${MAX_GRACE_SECONDS} (7 days): how long the old key keeps working.`,
      );
    const rotated = await rotateWorkspaceKey({
      store: deps.store,
      workspaceId: ws.id,
      kind: b.key,
      graceSeconds: grace,
      cacheTtlMs: deps.directory.ttlMs,
    });
    if (!rotated) throw new HttpError("not_found", "The workspace no longer exists.");
    deps.directory.invalidate(ws.id);
    deps.logger.info({ workspace: ws.id, key: b.key, grace_seconds: grace }, "workspace key rotated");
    return {
      [b.key === "public" ? "public_key" : "secret_key"]: rotated.key,
      old_key_expires_at: isoTime(rotated.oldKeyExpiresAt),
    };
  });
}
