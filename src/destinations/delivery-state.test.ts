import { describe, expect, it } from "vitest";
import type { DeliveryStatus } from "../storage/storage.js";
import {
  INTERRUPTED_ERROR,
  nextDeliveryState,
  type DeliveryOutcome,
  type DeliveryTransition,
} from "./delivery-state.js";

const MAX = 5;
const OUTCOMES: Record<string, DeliveryOutcome> = {
  delivered: { status: "delivered", code: 200 },
  "delivered with a note": { status: "delivered", code: 200, note: "1 event matched" },
  failed: { status: "failed", code: 400, error: "bad pixel" },
  retry: { status: "retry", code: 503, error: "unavailable" },
  "retry with Retry-After": { status: "retry", code: 429, error: "slow down", retryAfterMs: 30_000 },
  skipped: { status: "skipped", error: "no test mode" },
  interrupted: { status: "interrupted" },
  replayed: { status: "replayed" },
};

const stays = { delivered: false };
/** Every state × every outcome: what follows, or null where the outbox never makes that change. */
const TABLE: [DeliveryStatus, number, keyof typeof OUTCOMES, DeliveryTransition | null][] = [
  // A claimed pending row, with attempts to spare (2 used of 5).
  [
    "pending",
    2,
    "delivered",
    { status: "delivered", attempts: 3, code: 200, error: null, due: null, delivered: true },
  ],
  [
    "pending",
    2,
    "delivered with a note",
    { status: "delivered", attempts: 3, code: 200, error: "1 event matched", due: null, delivered: true },
  ],
  [
    "pending",
    2,
    "failed",
    { status: "failed", attempts: 3, code: 400, error: "bad pixel", due: null, ...stays },
  ],
  [
    "pending",
    2,
    "retry",
    { status: "pending", attempts: 3, code: 503, error: "unavailable", due: "backoff", ...stays },
  ],
  [
    "pending",
    2,
    "retry with Retry-After",
    {
      status: "pending",
      attempts: 3,
      code: 429,
      error: "slow down",
      due: "backoff",
      retryAfterMs: 30_000,
      ...stays,
    },
  ],
  [
    "pending",
    2,
    "skipped",
    { status: "failed", attempts: 2, code: null, error: "no test mode", due: null, ...stays },
  ],
  [
    "pending",
    2,
    "interrupted",
    { status: "pending", attempts: 2, code: null, error: INTERRUPTED_ERROR, due: "now", ...stays },
  ],
  ["pending", 2, "replayed", null],
  // A claimed pending row on its last attempt (4 used of 5).
  [
    "pending",
    4,
    "delivered",
    { status: "delivered", attempts: 5, code: 200, error: null, due: null, delivered: true },
  ],
  [
    "pending",
    4,
    "failed",
    { status: "failed", attempts: 5, code: 400, error: "bad pixel", due: null, ...stays },
  ],
  [
    "pending",
    4,
    "retry",
    {
      status: "dead",
      attempts: 5,
      code: 503,
      error: "unavailable (gave up after 5 attempts)",
      due: null,
      ...stays,
    },
  ],
  [
    "pending",
    4,
    "retry with Retry-After",
    {
      status: "dead",
      attempts: 5,
      code: 429,
      error: "slow down (gave up after 5 attempts)",
      due: null,
      ...stays,
    },
  ],
  [
    "pending",
    4,
    "skipped",
    { status: "failed", attempts: 4, code: null, error: "no test mode", due: null, ...stays },
  ],
  [
    "pending",
    4,
    "interrupted",
    { status: "pending", attempts: 4, code: null, error: INTERRUPTED_ERROR, due: "now", ...stays },
  ],
  // Dead rows are only replayed, from scratch; they keep their last answer until the next one.
  ["dead", 5, "replayed", { status: "pending", attempts: 0, due: "now", ...stays }],
  ...(
    [
      "delivered",
      "delivered with a note",
      "failed",
      "retry",
      "retry with Retry-After",
      "skipped",
      "interrupted",
    ] as const
  ).map((o) => ["dead", 5, o, null] as [DeliveryStatus, number, keyof typeof OUTCOMES, null]),
  // Delivered and failed are final.
  ...(["delivered", "failed"] as const).flatMap((s) =>
    Object.keys(OUTCOMES).map(
      (o) => [s, 1, o, null] as [DeliveryStatus, number, keyof typeof OUTCOMES, null],
    ),
  ),
];

describe("nextDeliveryState", () => {
  it.each(TABLE)("%s (%i attempts used) on %s", (status, attempts, outcome, expected) => {
    const run = () => nextDeliveryState({ status, attempts, maxAttempts: MAX }, OUTCOMES[outcome]!);
    if (expected === null) expect(run).toThrow(`no delivery transition from ${status} on`);
    else expect(run()).toEqual(expected);
  });

  it("covers every state with every outcome", () => {
    const states: DeliveryStatus[] = ["pending", "delivered", "failed", "dead"];
    for (const s of states)
      for (const o of Object.keys(OUTCOMES))
        expect(
          TABLE.some(([ts, , to]) => ts === s && to === o),
          `${s} × ${o}`,
        ).toBe(true);
  });

  it("a single allowed attempt: the first retryable answer is dead", () => {
    expect(
      nextDeliveryState({ status: "pending", attempts: 0, maxAttempts: 1 }, OUTCOMES.retry!),
    ).toMatchObject({ status: "dead", attempts: 1 });
  });
});
