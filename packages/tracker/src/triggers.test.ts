import { describe, expect, it } from "vitest";
import { readTrigger } from "./triggers.js";

const attrs = (o: Record<string, string>) => Object.entries(o).map(([name, value]) => ({ name, value }));

describe("readTrigger", () => {
  it.each([
    [{ "data-tally-track": "Lead" }, { name: "Lead", params: {}, options: {} }],
    [
      {
        "data-tally-track": "Purchase",
        "data-tally-value": "99.99",
        "data-tally-currency": "USD",
        "data-tally-order-id": "1001",
      },
      { name: "Purchase", params: { value: 99.99, currency: "USD", order_id: "1001" }, options: {} },
    ],
    [
      { "data-tally-track": "Lead", "data-tally-event-id": "lead-7", "data-tally-form": "contact" },
      { name: "Lead", params: { form: "contact" }, options: { event_id: "lead-7" } },
    ],
    [
      { "data-tally-track": "Lead", id: "x", class: "btn", "data-other": "1", href: "/" },
      { name: "Lead", params: {}, options: {} },
    ],
  ])("reads %j", (input, expected) => {
    expect(readTrigger(attrs(input))).toEqual(expected);
  });

  it.each([
    ["abc", "abc"],
    ["", ""],
    [" ", " "],
    ["12", 12],
    ["1e3", 1000],
    ["Infinity", "Infinity"],
  ])("sends data-tally-value %j as %j", (raw, sent) => {
    expect(readTrigger(attrs({ "data-tally-track": "X", "data-tally-value": raw })).params.value).toBe(sent);
  });

  it("keeps other numeric-looking parameters as strings (an order id must match the server's)", () => {
    expect(
      readTrigger(attrs({ "data-tally-track": "X", "data-tally-order-id": "1001" })).params.order_id,
    ).toBe("1001");
  });

  it("has no name without data-tally-track", () => {
    expect(readTrigger(attrs({ "data-tally-value": "1" })).name).toBe("");
  });
});
