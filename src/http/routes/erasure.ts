/** POST /v1/erasure: forget a person — every identifier linked to them and the links. */
import type { FastifyInstance } from "fastify";
import { hashEmail, hashPhone } from "../../../packages/protocol/src/normalize.js";
import type { Identifier } from "../../domain/event.js";
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
    return { erased: await deps.store.erase(ws.id, ids) };
  });
}
