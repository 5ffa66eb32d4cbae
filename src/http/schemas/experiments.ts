/** Experiments: the list and the per-variant report. */
import type { FastifySchema } from "fastify";
import { ISO_OUT, RATIO, SECRET, SECRET_ERRORS, responses, timeQuery } from "./common.js";

const NULLABLE_NUMBER = { type: ["number", "null"] };

export const listExperimentsSchema: FastifySchema = {
  summary: "Experiments seen",
  description: "Every experiment an event joined, with its variants and when it was first and last seen.",
  tags: ["experiments"],
  security: SECRET,
  response: responses(
    {
      200: {
        description: "The experiments, by name.",
        type: "object",
        properties: {
          data: {
            type: "array",
            items: {
              type: "object",
              properties: {
                experiment: { type: "string" },
                variants: { type: "array", items: { type: "string" } },
                first_seen: ISO_OUT,
                last_seen: ISO_OUT,
              },
            },
          },
        },
      },
    },
    SECRET_ERRORS,
  ),
};

export const experimentReportSchema: FastifySchema = {
  summary: "Experiment report",
  description:
    "Per variant: visitors first exposed in [from, to), converters, conversions, rate, value, lift, the pooled " +
    "two-proportion z-test and the 95% interval of the difference against the control, the probability to " +
    "beat it (Beta posteriors), Welch's test on value per visitor, and the sample-ratio test (docs/experiments.md).",
  tags: ["experiments"],
  security: SECRET,
  params: {
    type: "object",
    properties: { experiment: { type: "string", description: "The experiment's name." } },
  },
  querystring: {
    type: "object",
    properties: {
      from: timeQuery("First exposures from, inclusive."),
      to: timeQuery("First exposures and conversions before, exclusive."),
      event_name: { type: "string", description: "The conversion counted. Default `Purchase`." },
      control: { type: "string", description: "The control variant. Default: the first by name." },
    },
  },
  response: responses(
    {
      200: {
        description: "The variants, the control first.",
        type: "object",
        properties: {
          experiment: { type: "string" },
          event_name: { type: "string" },
          control: { type: "string" },
          currency: { type: "string" },
          srm_p_value: NULLABLE_NUMBER,
          alpha: { type: "number", description: "0.05 divided by the number of comparisons." },
          warnings: { type: "array", items: { type: "string", enum: ["sample_too_small", "srm"] } },
          variants: {
            type: "array",
            items: {
              type: "object",
              properties: {
                variant: { type: "string" },
                visitors: { type: "integer" },
                converters: { type: "integer" },
                conversions: { type: "integer" },
                conversion_rate: RATIO,
                value: { type: "number" },
                value_per_visitor: RATIO,
                lift: NULLABLE_NUMBER,
                ci95: { type: ["array", "null"], items: { type: "number" } },
                p_value: NULLABLE_NUMBER,
                probability_to_beat_control: NULLABLE_NUMBER,
                value_p_value: NULLABLE_NUMBER,
                significant: { type: "boolean" },
              },
            },
          },
        },
      },
    },
    [...SECRET_ERRORS, "invalid_query", "validation_failed"],
  ),
};
