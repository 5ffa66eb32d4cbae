/**
 * Reference values are SciPy 1.17 outputs (scipy.stats.norm, chisquare, ttest_ind with
 * equal_var=False, and numerical integration of the Beta posteriors), written here as facts.
 */
import { describe, expect, it } from "vitest";
import {
  differenceInterval,
  probabilityBBeatsA,
  sampleRatioTest,
  twoProportionTest,
  welchTest,
} from "./stats.js";

describe("twoProportionTest (pooled, two-sided)", () => {
  it.each([
    [100, 1000, 130, 1000, 2.102740605622114, 0.03548845046647471],
    [50, 2000, 50, 2000, 0, 1],
    [10, 100, 25, 120, 2.1874804650718107, 0.028707467767556023],
    [1200, 50000, 1320, 50000, 2.4211584673564466, 0.01547113131363682],
    [3, 40, 0, 35, -1.653594569415369, 0.09820991683978499],
  ])("%i/%i vs %i/%i", (xA, nA, xB, nB, z, p) => {
    const r = twoProportionTest(xA, nA, xB, nB);
    expect(r?.z).toBeCloseTo(z, 10);
    expect(r?.pValue).toBeCloseTo(p, 10);
  });

  it("has nothing to test without visitors or without any variation", () => {
    expect(twoProportionTest(0, 0, 1, 10)).toBeNull();
    expect(twoProportionTest(0, 10, 0, 10)).toBeNull();
    expect(twoProportionTest(10, 10, 10, 10)).toBeNull();
  });
});

describe("differenceInterval (95%, unpooled)", () => {
  it.each([
    [100, 1000, 130, 1000, 0.0020679344393763656, 0.057932065560623636],
    [10, 100, 25, 120, 0.01486090022799487, 0.20180576643867182],
  ])("%i/%i vs %i/%i", (xA, nA, xB, nB, lo, hi) => {
    const [l, h] = differenceInterval(xA, nA, xB, nB) ?? [NaN, NaN];
    expect(l).toBeCloseTo(lo, 10);
    expect(h).toBeCloseTo(hi, 10);
  });

  it("is null for an empty arm", () => {
    expect(differenceInterval(1, 10, 0, 0)).toBeNull();
  });
});

describe("probabilityBBeatsA (Beta posteriors)", () => {
  it.each([
    [101, 901, 131, 871, 0.982165066116351],
    [11, 91, 26, 96, 0.9852719005697298],
    [1, 51, 2, 50, 0.7524752475247526],
    [41, 961, 36, 966, 0.27949470306653984],
    [20001, 80001, 20101, 79901, 0.7117442826755228],
  ])("Beta(%i,%i) vs Beta(%i,%i)", (aA, bA, aB, bB, p) => {
    expect(probabilityBBeatsA(aA, bA, aB, bB)).toBeCloseTo(p, 8);
  });

  it("uses the normal approximation past the exact limit, within 1e-4", () => {
    expect(probabilityBBeatsA(60001, 940001, 60501, 939501)).toBeCloseTo(0.9313378679939986, 4);
  });

  it("is one half for identical arms and complements when swapped", () => {
    expect(probabilityBBeatsA(31, 70, 31, 70)).toBeCloseTo(0.5, 10);
    const p = probabilityBBeatsA(11, 91, 26, 96);
    expect(probabilityBBeatsA(26, 96, 11, 91)).toBeCloseTo(1 - p, 10);
  });
});

describe("sampleRatioTest (chi-square against an even split)", () => {
  it.each([
    [[5000, 5000], 1],
    [[5000, 5200], 0.0476703806561615],
    [[1000, 1100, 1050], 0.09246247606291999],
    [[480, 520], 0.20590321073206466],
    [[10000, 10300], 0.035240223824274594],
  ])("%j", (visitors, p) => {
    expect(sampleRatioTest(visitors)).toBeCloseTo(p, 10);
  });

  it("is null with one variant or nobody", () => {
    expect(sampleRatioTest([10])).toBeNull();
    expect(sampleRatioTest([0, 0])).toBeNull();
  });
});

describe("welchTest (unequal variances, two-sided)", () => {
  it("matches scipy.stats.ttest_ind(b, a, equal_var=False)", () => {
    const a = { n: 100, sum: 389.99999999999994, sumSquares: 12954.457199999999 };
    const b = { n: 100, sum: 803.1200000000001, sumSquares: 51657.504400000005 };
    const r = welchTest(a, b);
    expect(r?.t).toBeCloseTo(1.7271441083764438, 9);
    expect(r?.pValue).toBeCloseTo(0.08625569913785537, 9);
  });

  it("is null with fewer than two values or no variance", () => {
    expect(welchTest({ n: 1, sum: 1, sumSquares: 1 }, { n: 5, sum: 5, sumSquares: 9 })).toBeNull();
    expect(welchTest({ n: 3, sum: 3, sumSquares: 3 }, { n: 3, sum: 3, sumSquares: 3 })).toBeNull();
  });
});
