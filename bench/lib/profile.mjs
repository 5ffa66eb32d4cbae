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
