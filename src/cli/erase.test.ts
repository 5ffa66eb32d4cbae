// `tally erase` against the real server (in-process, real SQLite, real HTTP on loopback).
import { Writable } from "node:stream";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createWorkspace, nowSeconds, startInProcess } from "../../test/helpers/server.js";
import { eraseCommand } from "./erase.js";
import type { CliIo } from "./io.js";

function captureIo(env: Record<string, string | undefined>) {
  const out: string[] = [];
  const err: string[] = [];
  const sink = (into: string[]) =>
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        into.push(chunk.toString());
        cb();
      },
    });
  const io: CliIo = { env, stdout: sink(out), stderr: sink(err) };
  return { io, stdout: () => out.join(""), stderr: () => err.join("") };
}

describe("tally erase", () => {
  let tally: Awaited<ReturnType<typeof startInProcess>>;
  let ws: Awaited<ReturnType<typeof createWorkspace>>;

  beforeAll(async () => {
    tally = await startInProcess();
    ws = await createWorkspace(tally.url, undefined, "Erase");
  });
  afterAll(async () => {
    await tally?.cleanup();
  });

  it("erases the person through the API and prints how many identifiers went, never which", async () => {
    await ws.api("POST", "/v1/events", {
      data: [
        {
          event_name: "Lead",
          event_time: nowSeconds(),
          user_data: {
            email: "cli.person@example.com",
            external_id: "cli-ext-1",
            anonymous_id: "cli-anon-1",
          },
        },
      ],
    });
    const cap = captureIo({ TALLY_SECRET_KEY: ws.secret_key });
    const code = await eraseCommand(
      ["--email", "CLI.Person@example.com", "--external-id", "cli-ext-1", "--url", tally.url],
      cap.io,
    );
    expect(code).toBe(0);
    expect(cap.stdout()).toContain("Erased 3 identifiers");
    expect(cap.stdout() + cap.stderr()).not.toMatch(/cli-ext-1|cli\.person/i);
    const log = await ws.api("GET", "/v1/erasures");
    expect(log.body.data.map((e: { identifiers: number }) => e.identifiers)).toEqual([3]);
  });

  it.each([
    [[], "at least one identifier"],
    [["--email"], "--email needs a value"],
    [["--email", " "], "--email needs a value"],
    [["--name", "x"], "unknown option --name"],
    [["jane@example.com"], "usage: tally erase"],
  ])("exit 2 for %j", async (argv, message) => {
    const cap = captureIo({ TALLY_SECRET_KEY: ws.secret_key, TALLY_URL: tally.url });
    expect(await eraseCommand(argv, cap.io)).toBe(2);
    expect(cap.stderr()).toContain(message);
  });

  // (Unreachable servers, exit 3, are the shared client's: import.test.ts.)
  it("exit 2 without a key, 4 for a refused key, 1 for an invalid identifier", async () => {
    const none = captureIo({ TALLY_URL: tally.url });
    expect(await eraseCommand(["--email", "a@b.example"], none.io)).toBe(2);
    expect(none.stderr()).toContain("secret key");

    const bad = captureIo({ TALLY_URL: tally.url, TALLY_SECRET_KEY: "sk_not_a_real_key" });
    expect(await eraseCommand(["--email", "a@b.example"], bad.io)).toBe(4);

    const invalid = captureIo({ TALLY_URL: tally.url, TALLY_SECRET_KEY: ws.secret_key });
    expect(await eraseCommand(["--phone", "12"], invalid.io)).toBe(1);
    expect(invalid.stderr()).toContain("validation_failed");
  });
});
