/** Tracking links: create one (secret key), and the public redirect that records a click. */
import type { FastifySchema } from "fastify";
import {
  BODY_ERRORS,
  ISO_OUT,
  NULLABLE_STRING,
  OPEN,
  SECRET,
  SECRET_ERRORS,
  errorResponses,
  responses,
} from "./common.js";

export const createLinkSchema: FastifySchema = {
  summary: "Create a tracking link",
  description: "`GET /c/{id}` of the answer's `url` records a click and redirects to `destination_url`.",
  tags: ["links"],
  security: SECRET,
  body: {
    type: "object",
    required: ["destination_url", "platform", "campaign"],
    properties: {
      destination_url: {
        type: "string",
        format: "uri",
        minLength: 1,
        maxLength: 2048,
        description: "An absolute http(s) URL.",
        examples: ["https://shop.example/landing?x=1"],
      },
      platform: { type: "string", minLength: 1, maxLength: 64, examples: ["google"] },
      campaign: { type: "string", minLength: 1, maxLength: 256, examples: ["brand"] },
      ad: { ...NULLABLE_STRING, maxLength: 256 },
    },
  },
  response: responses(
    {
      201: {
        description: "The link.",
        type: "object",
        properties: {
          id: { type: "string", examples: ["lnk_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
          url: { type: "string", examples: ["https://track.example/c/lnk_01jd2x0m5q7k3v9n8p6r4t2w0y"] },
          destination_url: { type: "string" },
          platform: { type: "string" },
          campaign: { type: "string" },
          ad: NULLABLE_STRING,
          created_at: ISO_OUT,
        },
      },
    },
    [...SECRET_ERRORS, ...BODY_ERRORS, "validation_failed"],
  ),
};

export const clickSchema: FastifySchema = {
  summary: "Follow a tracking link",
  description:
    "Records a click and answers `302` to the link's destination with `tally_click=<click_id>` " +
    "added to its query (its other parameters kept). The request's own query never changes where it goes.",
  tags: ["links"],
  security: OPEN,
  params: {
    type: "object",
    properties: {
      id: {
        type: "string",
        description: "The link id (`lnk_` and 26 characters).",
        examples: ["lnk_01jd2x0m5q7k3v9n8p6r4t2w0y"],
      },
    },
  },
  response: {
    302: { type: "null", description: "To the destination; `Location` carries `tally_click`." },
    ...errorResponses(["not_found", "rate_limited"]),
  },
};
