// Reads V8 .cpuprofile files (node --cpu-prof) and says where the time went: self time by
// function and by module (Tally's own code, fastify, pino, better-sqlite3, node internals, …).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

function moduleOf(url) {
  if (!url) return "(native / V8)";
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (nm) return nm[1];
  const own = /\/dist\/(src\/[^/]+|packages\/[^/]+)/.exec(url);
  if (own) return `tally ${own[1]}`;
  if (url.startsWith("node:")) return url.split("/")[0];
  return url.split("/").slice(-2).join("/");
}

/** { threads: [{ file, totalMs, byModule: [[name, ms]], byFunction: [[name, ms]] }] } for a folder of profiles. */
export function summarizeProfiles(dir, top = 15) {
  const threads = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const p = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const self = new Map();
    p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000));
    const byModule = new Map();
    const byFunction = new Map();
    let total = 0;
    for (const [id, ms] of self) {
      const n = byId.get(id);
      const cf = n.callFrame;
      if (cf.functionName === "(idle)") continue;
      total += ms;
      const mod = ["(garbage collector)", "(program)"].includes(cf.functionName)
        ? cf.functionName
        : moduleOf(cf.url);
      byModule.set(mod, (byModule.get(mod) ?? 0) + ms);
      const fn = `${cf.functionName || "(anonymous)"} ${moduleOf(cf.url)}${cf.url ? `:${cf.lineNumber + 1}` : ""}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
    }
    const sorted = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    threads.push({ file, totalMs: total, byModule: sorted(byModule), byFunction: sorted(byFunction) });
  }
  return { threads: threads.sort((a, b) => b.totalMs - a.totalMs) };
}

export function printProfiles(dir, top = 15) {
  for (const t of summarizeProfiles(dir, top).threads) {
    console.log(`\n   CPU profile ${t.file}: ${Math.round(t.totalMs)} ms busy`);
    console.log("   by module:");
    for (const [name, ms] of t.byModule)
      console.log(`     ${((ms / t.totalMs) * 100).toFixed(1).padStart(5)}%  ${name}`);
    console.log("   by function (self time):");
    for (const [name, ms] of t.byFunction)
      console.log(`     ${((ms / t.totalMs) * 100).toFixed(1).padStart(5)}%  ${name}`);
  }
}

/**
 * Where the time goes per event, by step of the ingest path: each sample goes to the innermost
 * frame on its stack that a rule names (so a hash inside normalize counts as hashing, a
 * statement inside identity as a statement). Rules match a function name and, optionally, the
 * file it is in. What no rule names is "other" (V8, Node's HTTP stack, the event loop).
 */
const STEP_RULES = [
  // writer thread
  ["COMMIT + fsync", (f, file) => f === "commit" && file.endsWith("group-committer.js")],
  ["BEGIN", (f, file) => f === "runGroup" && file.endsWith("group-committer.js")],
  [
    "statements (SQLite)",
    (f, file) =>
      ["run", "get", "all", "iterate", "prepare"].includes(f) &&
      (file === "" || file.includes("better-sqlite3")),
  ],
  [
    "rollup + credit rollup writes",
    (f, file) =>
      (f === "write" || f === "flushGroup") && /(rollups|credit-rollup|group-committer)\.js$/.test(file),
  ],
  ["message to the writer (parse there)", (f, file) => f === "runOp" && file.endsWith("group-committer.js")],
  [
    "messages between the threads (post)",
    (f, file) => (f === "postMessage" && file === "") || (f === "call" && file.endsWith("sqlite-store.js")),
  ],
  [
    "replies from the writer",
    (f, file) => f === "onMessage" || (f === "(anonymous)" && file.endsWith("sqlite-store.js")),
  ],
  ["dedup", (f) => ["dedup", "findDedup", "claimDedup", "dedupKeys"].includes(f)],
  ["identity", (f) => ["identify", "linkIdentifiers", "recordTouch", "insertTouch"].includes(f)],
  ["experiments (assign)", (f) => f === "assign" || f === "recordExposure"],
  ["attribution", (f) => ["attribute", "touchesOf", "attributeAll"].includes(f)],
  ["quality (commit)", (f) => ["quality", "conversionQuality", "qualityHit"].includes(f)],
  [
    "series counters",
    (f, file) =>
      ["count", "eventSeries", "addRaw", "add", "addAll", "merge", "drain"].includes(f) &&
      file.includes("/monitoring/"),
  ],
  ["credit rollup", (f, file) => file.endsWith("credit-rollup.js")],
  [
    "statements (SQLite)",
    (f) => ["insertEvent", "insertDeliveries", "persist", "eventValues", "payloadOf"].includes(f),
  ],
  ["commit core (rest)", (f, file) => file.includes("/commit/")],
  // event loop
  ["parse JSON body", (f) => f === "parseJsonBody"],
  ["schema validation (route)", (f, file) => file.includes("/schemas/") || file.includes("ajv")],
  ["validate", (f) => f === "validateEvent"],
  ["phone normalisation", (f, file) => f === "normalizePhone" || file.includes("libphonenumber")],
  [
    "hash (SHA-256)",
    (f) =>
      ["sha256Hex", "hashEmail", "hashEmailGoogle", "createHash", "Hash", "digest", "update"].includes(f),
  ],
  ["IP seal (AES)", (f, file) => f === "encrypt" && file.includes("cipher")],
  ["match quality", (f) => f === "matchQuality"],
  ["ids (random)", (f, file) => f === "newId" || (f === "randomFillSync" && file.startsWith("node:"))],
  ["quality edge", (f, file) => file.includes("/quality/")],
  ["normalize (rest)", (f, file) => file.includes("/pipeline/steps/")],
  ["pipeline (rest)", (f, file) => file.includes("/pipeline/")],
  ["auth, workspace, actions", (f, file) => /\/http\/auth\.js$|\/workspaces\//.test(file)],
  ["pixel route", (f, file) => file.endsWith("collect.js")],
  [
    "http (Fastify, node:http)",
    (f, file) =>
      /fastify|find-my-way|light-my-request|avvio|_http_|node:net|node:stream/.test(file) ||
      file.includes("/http/") ||
      f === "writev" ||
      f === "writeBuffer",
  ],
  ["logger, metrics", (f, file) => /pino|prom-client/.test(file)],
  ["garbage collector", (f) => f === "(garbage collector)"],
];

/** { threads: [{ file, totalMs, steps: [[name, ms]] }] }: time by step of the ingest path. */
export function stepsOfProfiles(dir) {
  const threads = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
    const p = JSON.parse(readFileSync(join(dir, file), "utf8"));
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    const parent = new Map();
    for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
    const stepOf = new Map();
    const step = (id) => {
      if (stepOf.has(id)) return stepOf.get(id);
      const n = byId.get(id);
      const f = n.callFrame.functionName;
      const url = n.callFrame.url ?? "";
      let s = null;
      if (f === "(idle)") s = "(idle)";
      else {
        const rule = STEP_RULES.find(([, match]) => match(f, url));
        if (rule) s = rule[0];
        else if (parent.has(id)) s = step(parent.get(id));
      }
      stepOf.set(id, s);
      return s;
    };
    const steps = new Map();
    let total = 0;
    p.samples.forEach((id, i) => {
      const ms = (p.timeDeltas[i] ?? 0) / 1000;
      const s = step(id) ?? "other (V8, event loop)";
      if (s === "(idle)") return;
      total += ms;
      steps.set(s, (steps.get(s) ?? 0) + ms);
    });
    threads.push({ file, totalMs: total, steps: [...steps.entries()].sort((a, b) => b[1] - a[1]) });
  }
  return { threads: threads.sort((a, b) => b.totalMs - a.totalMs) };
}

/** Prints time by step, per event when `events` (stored during the profile) is given. */
export function printSteps(dir, events = 0) {
  for (const t of stepsOfProfiles(dir).threads) {
    console.log(
      `\n   time by step, ${t.file}: ${Math.round(t.totalMs)} ms busy${events ? `, ${events} events` : ""}`,
    );
    for (const [name, ms] of t.steps)
      console.log(
        `     ${((ms / t.totalMs) * 100).toFixed(1).padStart(5)}%  ${events ? `${((ms * 1000) / events).toFixed(1).padStart(7)} µs/event  ` : ""}${name}`,
      );
  }
}
