/** Redaction at any depth, read from the captured log output itself. */
import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createLogger } from "./logger.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: createLogger("info", stream), text: () => lines.join("") };
}

const EMAIL = "jane.doe@example.com";
const PHONE = "+14155550100";
const IP = "203.0.113.9";
const TOKEN = "sk_live_secret_0123456789abcdef0123456789";

describe("log redaction", () => {
  it.each([
    ["at the top", { email: EMAIL }],
    ["one level down", { user: { email: EMAIL, phone: PHONE } }],
    ["five levels down", { a: { b: { c: { d: { user_data: { em: EMAIL, ph: PHONE } } } } } }],
    ["inside arrays", { batch: [{ events: [{ user_data: { client_ip_address: IP } }] }] }],
    [
      "under other spellings",
      {
        req: undefined,
        headers: { Authorization: `Bearer ${TOKEN}`, "X-Forwarded-For": IP },
        clientIpAddress: IP,
      },
    ],
    [
      "in a destination config",
      { destination: { config: { access_token: TOKEN, nested: { client_secret: TOKEN } } } },
    ],
    [
      "on an error",
      { err: Object.assign(new Error("send failed"), { response: { request: { secret: TOKEN, ip: IP } } }) },
    ],
  ])("censors sensitive fields %s", (_where, obj) => {
    const { logger, text } = capture();
    logger.info(obj, "something happened");
    const out = text();
    expect(out).toContain("something happened");
    expect(out).toContain("[redacted]");
    for (const secret of [EMAIL, PHONE, IP, TOKEN]) expect(out).not.toContain(secret);
  });

  it("keeps everything else, error messages included, and survives cycles and depth", () => {
    const { logger, text } = capture();
    const cyclic: Record<string, unknown> = { name: "loop" };
    cyclic.self = cyclic;
    let deep: Record<string, unknown> = { email: EMAIL };
    for (let i = 0; i < 100; i++) deep = { next: deep };
    logger.error({ err: new Error("the store is down"), workspace: "ws_1", cyclic, deep }, "failed");
    const line = JSON.parse(text()) as Record<string, unknown>;
    expect(line.workspace).toBe("ws_1");
    expect((line.err as { message: string }).message).toBe("the store is down");
    expect(JSON.stringify(line.cyclic)).toContain("[circular]");
    expect(text()).not.toContain(EMAIL);
  });

  it("censors the bindings of child loggers too", () => {
    const { logger, text } = capture();
    logger.child({ ctx: { user: { email: EMAIL } } }).warn("child");
    logger
      .child({ node: "a" })
      .child({ ctx: { users: [{ phone: PHONE }] } })
      .warn("grandchild");
    expect(text()).toContain("grandchild");
    expect(text()).not.toContain(EMAIL);
    expect(text()).not.toContain(PHONE);
  });
});
