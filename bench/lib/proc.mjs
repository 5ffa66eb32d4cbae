// Memory of a process from /proc (Linux): the peak resident set (VmHWM) and the current one.

import { readdirSync, readFileSync } from "node:fs";

/** { hwmMb, rssMb } of a live process, or null once it has exited. */
export function memoryOf(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
    return { hwmMb: kb("VmHWM") / 1024, rssMb: kb("VmRSS") / 1024 };
  } catch {
    return null;
  }
}

/**
 * CPU seconds a process has used so far (user + system, all its threads), from
 * /proc/<pid>/stat. On a shared machine, throughput swings with the neighbours' load; CPU
 * time per request does much less, so it is the steadier figure for comparing runs.
 */
export function cpuSecondsOf(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start at the last ")".
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return null;
  }
}

/** CPU seconds so far of each thread of a process: { main, others: { tid: seconds } }. */
export function threadCpuOf(pid) {
  const out = { main: 0 };
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return null;
  }
  const others = [];
  for (const tid of tasks) {
    const s = cpuSecondsOfTask(pid, tid);
    if (s === null) continue;
    if (tid === String(pid)) out.main = s;
    else others.push([tid, s]);
  }
  return { main: out.main, others: Object.fromEntries(others) };
}

function cpuSecondsOfTask(pid, tid) {
  try {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * CPU used between two threadCpuOf() readings, in seconds: `main` is the event loop, `busiest`
 * the other thread that used the most (in Tally, the SQLite writer worker), `rest` the others
 * (V8's GC and compiler helpers, libuv's pool).
 */
export function threadCpuDelta(before, after) {
  const deltas = Object.entries(after.others).map(([tid, s]) => s - (before.others[tid] ?? 0));
  const busiest = Math.max(0, ...deltas);
  return { main: after.main - before.main, busiest, rest: deltas.reduce((a, b) => a + b, 0) - busiest };
}
