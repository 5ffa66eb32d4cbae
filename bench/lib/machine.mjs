// What the figures were measured on: they mean little without it.
import { cpus, loadavg, totalmem } from "node:os";
import { execFileSync } from "node:child_process";

export const QUICK = process.env.BENCH_QUICK === "1";

export function machine() {
  let wrk = "?";
  try {
    wrk = execFileSync("/usr/bin/wrk", ["--version"], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).split("\n")[0];
  } catch (err) {
    wrk = String(err.stdout ?? "").split("\n")[0] || "?"; // wrk --version exits 1
  }
  return {
    date: new Date().toISOString(),
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? "?"}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
    node: process.version,
    wrk,
    load: loadavg()
      .map((x) => x.toFixed(2))
      .join(" "),
    quick: QUICK,
  };
}

export function printMachine(title) {
  const m = machine();
  console.log(`\n== ${title} — ${m.date}${m.quick ? " (BENCH_QUICK=1)" : ""}`);
  console.log(`   ${m.cpu}, ${m.memory}, Node ${m.node}, ${m.wrk}, load average ${m.load}`);
  return m;
}
