import { describe, expect, it } from "vitest";
import { client, createWorkspace, startInProcess } from "../helpers/server.js";

type Attempt = (url: string, i: number) => Promise<{ status: number; headers: Headers }>;

/** A guess shaped like a real key (a string of another shape is refused without counting). */
const guess = (prefix: string, i: number, length: number) => `${prefix}${String(i).padStart(length, "0")}`;

describe("guessing keys is throttled per address", () => {
  it.each<[string, Attempt]>([
    ["a secret key", (url, i) => client(url, guess("sk_", i, 43))("GET", "/v1/workspace")],
    [
      "the admin token at login",
      (url, i) => client(url)("POST", "/v1/session", { token: guess("adm_", i, 30) }),
    ],
    ["a public key on the pixel", (url, i) => client(url)("GET", `/t/p.gif?k=${guess("pk_", i, 24)}`)],
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
