import { describe, expect, it } from "vitest";
import { client, createWorkspace, startInProcess } from "../helpers/server.js";

type Attempt = (url: string, i: number) => Promise<{ status: number; headers: Headers }>;

describe("guessing keys is throttled per address", () => {
  it.each<[string, Attempt]>([
    ["a secret key", (url, i) => client(url, `sk_guess_${i}`)("GET", "/v1/workspace")],
    ["the admin token at login", (url, i) => client(url)("POST", "/v1/session", { token: `adm_guess_${i}` })],
    ["a public key on the pixel", (url, i) => client(url)("GET", `/t/p.gif?k=pk_guess_${i}`)],
  ])("%s: refusals turn into 429 with Retry-After, and a real key still works", async (_name, attempt) => {
    const tally = await startInProcess();
    try {
      const statuses: number[] = [];
      let retryAfter: string | null = null;
      for (let i = 0; i < 40; i++) {
        const r = await attempt(tally.url, i);
        statuses.push(r.status);
        if (r.status === 429) retryAfter ??= r.headers.get("retry-after");
      }
      expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
      expect(statuses).toContain(429);
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      const ws = await createWorkspace(tally.url);
      expect((await ws.api("GET", "/v1/workspace")).status).toBe(200);
    } finally {
      await tally.cleanup();
    }
  });
});
