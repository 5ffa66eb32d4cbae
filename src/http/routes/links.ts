/**
 * Tracking links. `GET /c/{id}` answers its 302 at once and records the click through the
 * touch pipeline (the next group commit) without waiting for the sync: the redirect sits between an ad and a landing
 * page. The destination is fixed when the link is made; query parameters of the /c/ request
 * never change where it goes.
 */
import type { FastifyInstance } from "fastify";
import { randomBytes } from "node:crypto";
import { HttpError } from "../../domain/errors.js";
import { newId } from "../../domain/ids.js";
import { isoTime } from "../../domain/time.js";
import { LinkResolver } from "../../pipeline/link-resolver.js";
import type { Link } from "../../storage/storage.js";
import { clientIp } from "../client-address.js";
import { overClientLimit } from "../client-limit.js";
import type { AppDeps } from "../deps.js";
import { bodyObject, invalid, stringField } from "../params.js";
import { clickSchema, createLinkSchema } from "../schemas/links.js";

export function linkRoutes(app: FastifyInstance, deps: AppDeps): void {
  const linkJson = (l: Link, base: string) => ({
    id: l.id,
    url: `${base}/c/${l.id}`,
    destination_url: l.destinationUrl,
    platform: l.platform,
    campaign: l.campaign,
    ad: l.ad,
    created_at: isoTime(l.createdAt),
  });

  app.post("/v1/links", { schema: createLinkSchema }, async (req, reply) => {
    const ws = await deps.auth.workspace(req);
    const b = bodyObject(req.body);
    const dest = stringField(b, "destination_url", { required: true, max: 2048 })!;
    let url: URL;
    try {
      url = new URL(dest);
    } catch {
      throw invalid("destination_url", "`destination_url` must be an absolute http(s) URL.");
    }
    if (url.protocol !== "https:" && url.protocol !== "http:")
      throw invalid("destination_url", "`destination_url` must be an http(s) URL.");
    const platform = stringField(b, "platform", { required: true, max: 64 })!.toLowerCase();
    const campaign = stringField(b, "campaign", { required: true, max: 256 })!;
    const ad = stringField(b, "ad", { max: 256 }) ?? null;
    const link = await deps.store.createLink({
      id: newId("lnk"),
      workspaceId: ws.id,
      destinationUrl: url.toString(),
      platform,
      campaign,
      ad,
      createdAt: Date.now(),
    });
    return reply
      .code(201)
      .send(
        linkJson(link, `${req.protocol}://${req.headers.host ?? `${deps.config.host}:${deps.config.port}`}`),
      );
  });

  app.get<{ Params: { id: string } }>("/c/:id", { schema: clickSchema }, async (req, reply) => {
    const id = req.params.id;
    const link = /^lnk_[0-9a-z]{26}$/.test(id) ? await deps.links.get(id) : null;
    if (!link) throw new HttpError("not_found", "No tracking link with this id.");
    // Over the client's limit (TALLY_RATE_LIMIT_PER_IP): still where the ad promised, but no
    // click is recorded and no click id handed out.
    if (overClientLimit(req))
      return reply
        .code(302)
        .header("location", link.destinationUrl)
        .header("cache-control", "no-store")
        .send();
    const clickId = LinkResolver.clickIdFor(link, randomBytes(9).toString("base64url"));
    deps.touches
      .linkClick(link, clickId, { ip: clientIp(req), userAgent: req.headers["user-agent"] ?? null })
      .then((o) => deps.prom.touches.inc({ kind: "click", status: o.status }))
      .catch((err: unknown) =>
        req.log.error({ err: { message: (err as Error).message } }, "recording a link click failed"),
      );
    const to = new URL(link.destinationUrl);
    to.searchParams.set("tally_click", clickId);
    return reply.code(302).header("location", to.toString()).header("cache-control", "no-store").send();
  });
}
