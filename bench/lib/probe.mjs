// A latency probe in Node: `connections` keep-alive connections, each sending its next
// request when the last one is answered, every request timed on its own. wrk counts requests
// well but, on this VM, its latency histogram disagrees with its own count (its mean latency
// × requests exceeds the run's duration several-fold), so latency percentiles come from here.
import http from "node:http";
import { quantile } from "./stats.mjs";

/**
 * `make(i)` gives request i: { method, path, headers?, body? }. Resolves with
 * { requests, rps, mean, p50, p90, p99, max } (milliseconds), or throws on a non-2xx/3xx.
 */
export async function latencyProbe({ url, connections, durationS, make }) {
  const u = new URL(url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const times = [];
  let next = 0;
  const deadline = Date.now() + durationS * 1000;
  const one = (i) =>
    new Promise((resolve, reject) => {
      const r = make(i);
      const body = r.body === undefined ? null : Buffer.from(r.body);
      const t0 = process.hrtime.bigint();
      const req = http.request(
        {
          host: u.hostname,
          port: u.port,
          method: r.method,
          path: r.path,
          agent,
          headers: { ...(r.headers ?? {}), ...(body ? { "content-length": body.length } : {}) },
        },
        (res) => {
          res.resume();
          res.on("end", () => {
            if (res.statusCode >= 400)
              return reject(new Error(`${r.method} ${r.path} answered ${res.statusCode}`));
            resolve(Number(process.hrtime.bigint() - t0) / 1e6);
          });
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < deadline) times.push(await one(next++));
    }),
  );
  const elapsed = (Date.now() - started) / 1000;
  agent.destroy();
  return {
    requests: times.length,
    rps: times.length / elapsed,
    mean: times.reduce((a, b) => a + b, 0) / times.length,
    p50: quantile(times, 0.5),
    p90: quantile(times, 0.9),
    p99: quantile(times, 0.99),
    max: Math.max(...times),
  };
}
