import { describe, expect, it } from "vitest";
import { dateOf, dayStart, daysStartingIn, isDate, nextDate } from "./days.js";

describe("days in a timezone", () => {
  it.each([
    ["2026-03-01", "UTC", "2026-03-01T00:00:00.000Z"],
    ["2026-03-01", "America/New_York", "2026-03-01T05:00:00.000Z"],
    ["2026-03-08", "America/New_York", "2026-03-08T05:00:00.000Z"], // DST starts at 02:00 that day
    ["2026-03-09", "America/New_York", "2026-03-09T04:00:00.000Z"],
    ["2026-03-01", "Asia/Tokyo", "2026-02-28T15:00:00.000Z"],
    ["2026-09-06", "America/Santiago", "2026-09-06T04:00:00.000Z"], // midnight skipped: starts 01:00 local
  ])("%s starts in %s at %s", (date, tz, iso) => {
    expect(new Date(dayStart(date, tz)).toISOString()).toBe(iso);
    expect(dateOf(dayStart(date, tz), tz)).toBe(date);
  });

  it.each([
    ["2026-02-28", true],
    ["2024-02-29", true],
    ["2026-02-29", false],
    ["2026-02-30", false],
    ["2026-13-01", false],
    ["2026-3-1", false],
    ["yesterday", false],
    [20260301, false],
  ])("isDate(%j) is %s", (s, ok) => expect(isDate(s)).toBe(ok));

  it("steps over month and year ends", () => {
    expect(nextDate("2026-02-28")).toBe("2026-03-01");
    expect(nextDate("2026-12-31")).toBe("2027-01-01");
  });

  it("takes the days whose start is in [from, to)", () => {
    const tz = "Europe/Paris";
    const from = dayStart("2026-03-01", tz);
    const to = dayStart("2026-03-08", tz);
    expect(daysStartingIn(from, to, tz)).toEqual({ fromDate: "2026-03-01", toDate: "2026-03-07" });
    expect(daysStartingIn(from + 1, to + 1, tz)).toEqual({ fromDate: "2026-03-02", toDate: "2026-03-08" });
    expect(daysStartingIn(null, null, tz)).toEqual({ fromDate: "0000-01-01", toDate: "9999-12-31" });
  });
});
