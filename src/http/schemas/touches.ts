/** POST /v1/clicks and /v1/impressions: imports of ad touches, answered like /v1/events. */
import type { FastifySchema } from "fastify";
import { CLICK_ID_KINDS } from "../../domain/event.js";
import { BODY_ERRORS, SECRET, SECRET_ERRORS, responses } from "./common.js";
import { batch } from "./events.js";

const TEXT = (max: number, description: string) => ({
  type: ["string", "number"],
  maxLength: max,
  description,
});

/** One click or impression; like an Event, checked one by one. */
export const TouchSchema = {
  $id: "Touch",
  title: "Touch",
  description:
    "A click or impression bought on an ad platform. Checked one by one: a bad touch is " +
    "`rejected` in `results`, the others are kept. Identifiers link it to later conversions.",
  type: "object",
  required: ["time", "platform", "campaign"],
  properties: {
    time: {
      type: ["number", "string"],
      description: "Unix seconds or ISO-8601 with a zone; at most 90 days old.",
      examples: [1764426811],
    },
    platform: TEXT(64, "google, meta, microsoft, tiktok, linkedin, or another name (lower-cased)."),
    campaign: TEXT(256, "The campaign."),
    ad: TEXT(256, "The ad, if known."),
    touch_id: TEXT(256, "Deduplicates re-imports: the same touch_id again is a duplicate."),
    ...Object.fromEntries(
      CLICK_ID_KINDS.map((k) => [
        k,
        {
          type: "string",
          pattern: "^[\\x21-\\x7e]{1,512}$",
          description: "A click id: printable, no spaces.",
        },
      ]),
    ),
    anonymous_id: TEXT(256, "The browser's anonymous id."),
    external_id: TEXT(256, "Your id of the person."),
    email: { type: "string", description: "Hashed on arrival; never stored plain." },
    phone: { type: "string", description: "Hashed on arrival; never stored plain." },
  },
  examples: [{ time: 1764426811, platform: "google", campaign: "brand", ad: "ad-7", gclid: "Cj0KCQ" }],
} as const;

export function postTouchesSchema(kind: "click" | "impression", maxBatch: number): FastifySchema {
  return {
    summary: kind === "click" ? "Import clicks" : "Import impressions",
    description:
      "Answered like POST /v1/events: a result per touch; valid touches are kept when others are rejected.",
    tags: ["touches"],
    security: SECRET,
    body: {
      type: "object",
      required: ["data"],
      properties: { data: batch("Touch", maxBatch, `${kind}s`) },
      examples: [{ data: TouchSchema.examples }],
    },
    response: responses({ 200: { $ref: "BatchResult#", description: "A result per touch." } }, [
      ...SECRET_ERRORS,
      ...BODY_ERRORS,
      "batch_too_large",
      "empty_batch",
    ]),
  };
}
