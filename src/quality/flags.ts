/**
 * The quality flags, their weights, and the score: `100 − Σ weight(flag)`, never below 0.
 * 100 is clean. The weights say how sure each flag alone is that the traffic is not a person
 * acting in good faith (docs/quality.md explains each): a declared bot or an automated browser
 * is near-certain; a flood, a burst or an injected click is strong evidence; a datacenter
 * address alone is weak (VPNs and corporate proxies live there too).
 */

/** In this order everywhere flags are listed. */
export const QUALITY_FLAGS = ["bot", "too_fast", "click_flood", "conversion_burst", "datacenter_ip"] as const;
export type QualityFlag = (typeof QUALITY_FLAGS)[number];

export const FLAG_WEIGHTS: Readonly<Record<QualityFlag, number>> = Object.freeze({
  bot: 70,
  too_fast: 50,
  click_flood: 50,
  conversion_burst: 40,
  datacenter_ip: 30,
});

export interface Quality {
  /** 0–100, 100 = clean. */
  score: number;
  flags: QualityFlag[];
}

/** The score of a set of flags. */
export function scoreOf(flags: readonly QualityFlag[]): number {
  let s = 100;
  for (const f of flags) s -= FLAG_WEIGHTS[f];
  return s < 0 ? 0 : s;
}
