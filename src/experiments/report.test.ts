import { describe, expect, it } from "vitest";
import { experimentReport, MINIMUM_SAMPLE, type VariantCounts } from "./report.js";
import { nameProblem, exposureOf } from "./names.js";

const arm = (
  variant: string,
  visitors: number,
  converters: number,
  value = converters * 10,
): VariantCounts => ({
  variant,
  visitors,
  converters,
  conversions: converters,
  value,
  valueSquares: converters * 100,
});

describe("experimentReport", () => {
  it("compares each variant with the control (SciPy reference values)", () => {
    const r = experimentReport("checkout", "Purchase", "A", [arm("B", 1000, 130), arm("A", 1000, 100)]);
    expect(r.variants.map((v) => v.variant)).toEqual(["A", "B"]);
    const [a, b] = r.variants;
    expect(a).toMatchObject({ lift: null, ci95: null, p_value: null, probability_to_beat_control: null });
    expect(b?.conversion_rate).toBeCloseTo(0.13, 12);
    expect(b?.lift).toBeCloseTo(0.3, 12);
    expect(b?.p_value).toBeCloseTo(0.03548845046647471, 10);
    expect(b?.ci95?.[0]).toBeCloseTo(0.0020679344393763656, 10);
    expect(b?.probability_to_beat_control).toBeCloseTo(0.982165066116351, 8);
    expect(b?.value_per_visitor).toBeCloseTo(1.3, 12);
    expect(b?.significant).toBe(true);
    expect(r.srm_p_value).toBe(1);
    expect(r.warnings).toEqual([]);
  });

  it("never calls a result significant below the minimum sample", () => {
    const r = experimentReport("x", "Purchase", "A", [arm("A", 60, 2), arm("B", 60, 20)]);
    expect(r.variants[1]?.p_value).toBeLessThan(0.001);
    expect(r.variants[1]?.significant).toBe(false);
    expect(r.warnings).toContain("sample_too_small");
    expect(MINIMUM_SAMPLE.visitors).toBe(100);
  });

  it("divides the level among several treatments (Bonferroni)", () => {
    const r = experimentReport("x", "Purchase", "A", [
      arm("A", 1000, 100),
      arm("B", 1000, 130),
      arm("C", 1000, 100),
    ]);
    expect(r.alpha).toBeCloseTo(0.025, 12);
    // p ≈ 0.035: significant alone, not against 0.025.
    expect(r.variants[1]?.significant).toBe(false);
  });

  it("warns of a sample ratio mismatch below 0.001", () => {
    const r = experimentReport("x", "Purchase", "A", [arm("A", 5000, 500), arm("B", 5400, 540)]);
    expect(r.srm_p_value).toBeLessThan(0.001);
    expect(r.warnings).toContain("srm");
  });

  it("leaves lift and intervals null when the control has no visitors or no converters", () => {
    const r = experimentReport("x", "Purchase", "A", [arm("A", 0, 0), arm("B", 10, 1)]);
    expect(r.variants[0]?.conversion_rate).toBeNull();
    expect(r.variants[1]).toMatchObject({
      lift: null,
      ci95: null,
      p_value: null,
      probability_to_beat_control: null,
    });
  });

  it("refuses a control that is not a variant", () => {
    expect(() => experimentReport("x", "Purchase", "Z", [arm("A", 1, 0)])).toThrow(RangeError);
  });
});

describe("names", () => {
  it.each([
    ["checkout-v2", null],
    ["", "must not be empty"],
    ["x".repeat(64), null],
    ["x".repeat(65), "must be at most 64 characters"],
    ["a\u0000b", "must not contain control characters"],
    ["a\nb", "must not contain control characters"],
    [12, "must be a string"],
  ])("%j", (name, problem) => {
    expect(nameProblem(name)).toBe(problem);
  });

  it("reads the exposure from custom_data", () => {
    expect(exposureOf({ experiment: "e", variant: "B" })).toEqual({ experiment: "e", variant: "B" });
    expect(exposureOf({ experiment: "e" })).toBeNull();
    expect(exposureOf(null)).toBeNull();
  });
});
