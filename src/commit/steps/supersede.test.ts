import { describe, expect, it } from "vitest";
import type { EventSource } from "../../domain/event.js";
import { supersedes } from "./supersede.js";

describe("supersedes: which later copy replaces the stored one", () => {
  const cases: [EventSource, EventSource | null, number | null, boolean][] = [
    // later copy, stored copy's source, stored copy superseded at, supersedes
    ["server", "browser", null, true],
    ["server", "pixel", null, true],
    ["server", "browser", 1000, false], // a second server copy is a plain duplicate
    ["server", "server", null, false],
    ["server", null, null, false], // stored before sources were recorded
    ["browser", "server", null, false],
    ["browser", "browser", null, false],
    ["pixel", "browser", null, false],
    ["browser", "pixel", null, false],
  ];
  it.each(cases)("%s after %s (superseded at %s) → %s", (later, stored, supersededAt, expected) => {
    expect(supersedes(later, { source: stored, supersededAt })).toBe(expected);
  });
});
