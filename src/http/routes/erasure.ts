/**
 * POST /v1/erasure: forget a person — every identifier linked to them and the links, and every
 * trace of them in stored events, touches and delivery errors (storage/erase-payload.ts). The
 * 200 comes only once the store holds none of it (on SQLite: none of its files' bytes).
 */
import type { FastifyInstance } from "fastify";
import { hashEmail, hashPhone } from "@tally/protocol";
import type { Identifier } from "../../domain/event.js";
import { HttpError } from "../../domain/errors.js";
import { ErasureIncompleteError } from "../../storage/storage.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, invalid, stringField } from "../params.js";
import { erasureSchema } from "../schemas/erasure.js";

export function erasureRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.post("/v1/erasure", { schema: erasureSchema }, async (req) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    const ids: Identifier[] = [];
    const email = stringField(b, "email", { max: 512 });
    if (email) {
      const h = hashEmail(email);
      if (!h) throw invalid("email", "`email` is not an email address.");
      ids.push({ kind: "email", value: h });
    }
    const phone = stringField(b, "phone", { max: 64 });
    if (phone) {
      const h = hashPhone(phone, ws.defaultCountry ?? undefined);
      if (!h) throw invalid("phone", "`phone` is not a phone number.");
      ids.push({ kind: "phone", value: h });
    }
    for (const k of ["external_id", "anonymous_id"] as const) {
      const v = stringField(b, k, { max: 256 });
      if (v) ids.push({ kind: k, value: v });
    }
    if (ids.length === 0)
      throw invalid("email", "Name the person by at least one of email, phone, external_id, anonymous_id.");
    try {
      return { erased: await deps.store.erase(ws.id, ids) };
    } catch (err) {
      if (!(err instanceof ErasureIncompleteError)) throw err;
      // The rows are scrubbed; the files are not confirmed clean yet. Repeating finishes it.
      req.log.warn({ err: { message: err.message } }, "erasure not finished");
      throw new HttpError(
        "not_ready",
        "The person's data is removed, but the store could not yet confirm its files hold none of it; send the same erasure again after the time in `Retry-After`.",
        undefined,
        { "retry-after": "5" },
      );
    }
  });
}
