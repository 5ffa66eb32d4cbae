// Traffic quality: what the decision costs per click and conversion, beside a same-run
// baseline, and what its parts cost (address key, datacenter lookup, bot check, counters).
// Pure in-process work on the built modules; no server.
//
//   node bench/quality.mjs                (npm run bench -- quality)
//   BENCH_QUICK=1 node bench/quality.mjs  fewer events
//
// Target: the decision adds under 5 µs per event (median of 5 rounds).
// Baseline: JSON.parse of the same event's body (a cost every event already pays), in the
// same process and rounds, so a busy machine moves both figures alike.
// Traffic mixes: "typical" — 2,000 user agents (5% bots), 50,000 visitors (IPv4 and IPv6),
// clicks and conversions 3:1; "rotation" — every event a new address and a new user agent,
// the attacker's case for the caches and the counters.
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import v8 from "node:v8";
import vm from "node:vm";
import { printMachine, QUICK } from "./lib/machine.mjs";
import { ROOT } from "./lib/server.mjs";
import { fmt, median, table, verdict } from "./lib/stats.mjs";

const q = await import(join(ROOT, "dist/src/quality/index.js"));
v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc");

const EVENTS = QUICK ? 50_000 : 200_000;
const ROUNDS = 5;
const TARGET_US = 5;

/** mulberry32: a seeded PRNG, so every run sees the same traffic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = prng(20261129);
const int = (n) => Math.floor(rand() * n);
const hex = (n) => n.toString(16);
const ipv4 = () => `${1 + int(223)}.${int(256)}.${int(256)}.${int(256)}`;
const ipv6 = () =>
  `2${hex(int(0xfff)).padStart(3, "0")}:${hex(int(0x10000))}:${hex(int(0x10000))}:${hex(int(0x10000))}::${hex(1 + int(0xffff))}`;

// A ranges list the size of the real four together (~45,000 CIDRs, a third IPv6).
const cidrs = [];
for (let i = 0; i < 30_000; i++) cidrs.push(`${ipv4().split(".").slice(0, 3).join(".")}.0/${20 + int(5)}`);
for (let i = 0; i < 15_000; i++)
  cidrs.push(`${ipv6().split("::")[0].split(":").slice(0, 2).join(":")}::/${32 + int(17)}`);
let t = process.hrtime.bigint();
const matcher = q.CidrMatcher.from(cidrs);
const buildMs = Number(process.hrtime.bigint() - t) / 1e6;

const BROWSERS = [
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{v}.0.0.0 Safari/537.36",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.{v}; rv:125.0) Gecko/20100101 Firefox/125.0",
  "Mozilla/5.0 (Linux; Android 14; SM-S91{v}B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36",
];
const BOTS = [
  "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
  "curl/8.{v}.0",
  "python-requests/2.{v}.1",
];
const uas = Array.from({ length: 2_000 }, (_, i) =>
  (i % 20 === 0 ? BOTS[i % BOTS.length] : BROWSERS[i % BROWSERS.length]).replace("{v}", String(i)),
);
const visitors = Array.from({ length: 50_000 }, (_, i) => (i % 4 === 0 ? ipv6() : ipv4()));

function traffic(kind, n) {
  const events = [];
  for (let i = 0; i < n; i++) {
    const rotating = kind === "rotation";
    const ip = rotating ? (i % 2 ? ipv6() : ipv4()) : visitors[int(visitors.length)];
    const ua = rotating ? `${BROWSERS[i % 4].replace("{v}", String(i))} r/${i}` : uas[int(uas.length)];
    const conversion = i % 4 === 3;
    const body = JSON.stringify({
      event_name: conversion ? "Purchase" : "PageView",
      event_time: 1764426811 + i,
      event_id: `evt-${i}`,
      user_data: {
        client_ip_address: ip,
        client_user_agent: ua,
        anonymous_id: `anon-${int(50_000)}`,
        gclid: "Cj0KCQ",
      },
      custom_data: { value: 99.99, currency: "USD" },
    });
    events.push({ ip, ua, conversion, identity: `person-${int(50_000)}`, body });
  }
  return events;
}

const settings = q.DEFAULT_QUALITY_SETTINGS;

/** µs per event of one pass of `setup()`'s function over the events (fresh state). */
function pass(events, setup) {
  const fn = setup();
  const t0 = process.hrtime.bigint();
  let sink = 0;
  for (let i = 0; i < events.length; i++) sink += fn(events[i], i);
  const us = Number(process.hrtime.bigint() - t0) / 1e3 / events.length;
  if (sink === -1) console.log("");
  return us;
}

const secret = q.addressKeySecret(randomBytes(32).toString("hex"));
const at0 = Date.now();

const baseline = () => (e) => JSON.parse(e.body).event_time & 1;
const keyOnly = () => {
  const keyOf = q.createAddressKeyer(secret);
  return (e) => keyOf(e.ip).length;
};
const lookupOnly = () => (e) => (matcher.has(e.ip) ? 1 : 0);
const botOnly = () => {
  const isBot = q.createBotCheck();
  return (e) => (isBot(e.ua) ? 1 : 0);
};
const subjectOf = (e, addressKey, datacenter) => ({
  kind: e.conversion ? "conversion" : "click",
  userAgent: e.ua,
  webdriver: false,
  addressKey,
  datacenter,
  identityKey: e.conversion ? e.identity : null,
  sinceLastClickMs: e.conversion ? 120_000 : null,
});
/** The decision as the commit core runs it: key and datacenter already known (from normalize). */
const decisionOnly = (events) => () => {
  const keyOf = q.createAddressKeyer(secret);
  const prepared = events.map((e) => [keyOf(e.ip), matcher.has(e.ip)]);
  const isBot = q.createBotCheck();
  const counters = new q.MemoryQualityCounters();
  return (e, i) =>
    q.assessQuality(
      "ws_bench",
      subjectOf(e, prepared[i][0], prepared[i][1]),
      settings,
      counters,
      isBot,
      at0 + i,
    ).score;
};
/** Everything quality adds per event: key, lookup, bot check, counters, decision. */
const whole = () => {
  const keyOf = q.createAddressKeyer(secret);
  const isBot = q.createBotCheck();
  const counters = new q.MemoryQualityCounters();
  return (e, i) =>
    q.assessQuality(
      "ws_bench",
      subjectOf(e, keyOf(e.ip), matcher.has(e.ip)),
      settings,
      counters,
      isBot,
      at0 + i,
    ).score;
};

printMachine("traffic quality: cost per event");
console.log(
  `   ${EVENTS.toLocaleString("en-US")} events per mix, median of ${ROUNDS} rounds; ranges: ${cidrs.length.toLocaleString("en-US")} CIDRs → ${matcher.size.v4.toLocaleString("en-US")} IPv4 + ${matcher.size.v6.toLocaleString("en-US")} IPv6 intervals, built in ${buildMs.toFixed(0)} ms`,
);

// Memory under the rotation: the counters and the user-agent cache stay within their bounds.
{
  const counters = new q.MemoryQualityCounters();
  const isBot = q.createBotCheck();
  const keyOf = q.createAddressKeyer(secret);
  const n = QUICK ? 300_000 : 1_000_000;
  gc();
  const heap0 = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) {
    const ip = i % 2 ? ipv6() : ipv4();
    q.assessQuality(
      "ws_bench",
      subjectOf({ ua: `UA ${i}`, conversion: i % 4 === 3, identity: `p${i}` }, keyOf(ip), false),
      settings,
      counters,
      isBot,
      at0 + i,
    );
  }
  gc();
  const heap1 = process.memoryUsage().heapUsed;
  console.log(
    `\nrotation of ${n.toLocaleString("en-US")} addresses and user agents: counters hold ${fmt.int(counters.usage.entries)} keys, ~${fmt.mb(counters.usage.bytes / 2 ** 20)} estimated (bound 200,000 keys / 64 MB); user-agent cache ${fmt.int(isBot.usage().entries)} entries (bound 10,000); heap held +${fmt.mb((heap1 - heap0) / 2 ** 20)}`,
  );
}

const rows = [
  [
    "per event (µs)",
    "baseline: JSON.parse",
    "address key (HMAC)",
    "datacenter lookup",
    "bot check",
    "decision (key known)",
    "÷ baseline",
    "all of quality",
    "target < 5 µs",
  ],
];
const figures = {};
const MEASURES = {
  baseline,
  key: keyOnly,
  lookup: lookupOnly,
  bot: botOnly,
  decision: null, // per mix, below
  all: whole,
};
for (const mix of ["typical", "rotation"]) {
  const events = traffic(mix, EVENTS);
  const setups = { ...MEASURES, decision: decisionOnly(events) };
  pass(events.slice(0, 20_000), whole); // warm-up (JIT)
  // Rounds interleave the measures, so a machine busy with something else slows them alike;
  // the ratio to the baseline is taken within each round.
  const per = Object.fromEntries(Object.keys(setups).map((k) => [k, []]));
  const ratios = [];
  for (let r = 0; r < ROUNDS; r++) {
    for (const [k, setup] of Object.entries(setups)) per[k].push(pass(events, setup));
    ratios.push(per.decision[r] / per.baseline[r]);
  }
  const f = Object.fromEntries(Object.entries(per).map(([k, xs]) => [k, median(xs)]));
  f.ratio = median(ratios);
  figures[mix] = f;
  const us = (x) => x.toFixed(2);
  rows.push([
    mix,
    us(f.baseline),
    us(f.key),
    us(f.lookup),
    us(f.bot),
    us(f.decision),
    `${f.ratio.toFixed(1)}×`,
    us(f.all),
    verdict(f.decision < TARGET_US),
  ]);
}
console.log("\n" + table(rows));

console.log(
  `\nthe decision with the address key known: ${figures.typical.decision.toFixed(2)} µs typical, ${figures.rotation.decision.toFixed(2)} µs under rotation (target < ${TARGET_US} µs), ${figures.typical.ratio.toFixed(1)}× and ${figures.rotation.ratio.toFixed(1)}× the JSON.parse of the same event (${figures.typical.baseline.toFixed(2)} µs) in the same rounds`,
);
