import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ConfigError, SETTINGS, describeConfig, loadConfig } from "./config.js";

describe("loadConfig", () => {
  it("gives every default when the environment is empty", () => {
    const c = loadConfig({});
    expect(c.port).toBe(8787);
    expect(c.host).toBe("127.0.0.1");
    expect(c.dataDir).toBe("./data");
    expect(c.databaseUrl).toBeNull();
    expect(c.maxBatch).toBe(1000);
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("has no per-key rate limit unless TALLY_RATE_LIMIT_PER_SECOND is set (0 = off)", () => {
    expect(loadConfig({}).rateLimitPerSecond).toBe(0);
    expect(loadConfig({ TALLY_RATE_LIMIT_PER_SECOND: "0" }).rateLimitPerSecond).toBe(0);
    expect(loadConfig({ TALLY_RATE_LIMIT_PER_SECOND: "250" }).rateLimitPerSecond).toBe(250);
    expect(() => loadConfig({ TALLY_RATE_LIMIT_PER_SECOND: "-1" })).toThrow("TALLY_RATE_LIMIT_PER_SECOND");
  });

  it("reads variables and lets overrides win", () => {
    const c = loadConfig({ TALLY_PORT: "9000", TALLY_SQLITE_SYNCHRONOUS: "normal" }, { port: "9100" });
    expect(c.port).toBe(9100);
    expect(c.sqliteSynchronous).toBe("normal");
  });

  it.each([
    ["TALLY_PORT", "abc"],
    ["TALLY_PORT", "70000"],
    ["TALLY_LOG_LEVEL", "loud"],
    ["TALLY_OUTBOX", "maybe"],
    ["TALLY_MAX_BATCH", "0"],
    ["TALLY_ENCRYPTION_KEY", "not-hex"],
    ["TALLY_ENCRYPTION_KEY", "ab".repeat(31)],
    ["TALLY_ALLOW_PRIVATE_ENDPOINTS", "maybe"],
  ])("refuses %s=%s with an error naming the variable", (env, value) => {
    expect(() => loadConfig({ [env]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [env]: value })).toThrow(env);
  });

  it("hides secrets in `tally config`", () => {
    const rows = describeConfig(loadConfig({ TALLY_ADMIN_TOKEN: "adm_secret_value_0123456789" }));
    const admin = rows.find((r) => r.env === "TALLY_ADMIN_TOKEN")!;
    expect(admin.value).toBe("(set, hidden)");
    expect(JSON.stringify(rows)).not.toContain("adm_secret_value");
  });

  it.each([
    ["23 characters", "a".repeat(23), "at least 24"],
    ["a workspace key's prefix", "sk_" + "a".repeat(40), "pk_ or sk_"],
    ["spaces", "correct horse battery staple", "spaces"],
  ])("refuses an admin token of %s, saying why and never echoing it", (_what, token, why) => {
    let err: unknown;
    try {
      loadConfig({ TALLY_ADMIN_TOKEN: token });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain("TALLY_ADMIN_TOKEN");
    expect((err as Error).message).toContain(why);
    expect((err as Error).message).not.toContain(token);
  });

  it("takes an admin token of 24 characters or more", () => {
    expect(loadConfig({ TALLY_ADMIN_TOKEN: "x".repeat(24) }).adminToken).toBe("x".repeat(24));
  });

  it("reads TALLY_TRUST_PROXY as a list of addresses and ranges, and refuses anything else", () => {
    expect(loadConfig({}).trustProxy).toBeNull();
    expect(loadConfig({ TALLY_TRUST_PROXY: "127.0.0.1, 10.0.0.0/8,::1,loopback" }).trustProxy).toEqual([
      "127.0.0.1",
      "10.0.0.0/8",
      "::1",
      "loopback",
    ]);
    for (const bad of ["true", "1", "proxy.example", "10.0.0.0/99"])
      expect(() => loadConfig({ TALLY_TRUST_PROXY: bad }), bad).toThrow("TALLY_TRUST_PROXY");
  });

  it("limits 3000 requests a minute per client address by default; 0 turns it off", () => {
    expect(loadConfig({}).rateLimitPerIp).toBe(3000);
    expect(loadConfig({ TALLY_RATE_LIMIT_PER_IP: "0" }).rateLimitPerIp).toBe(0);
    expect(() => loadConfig({ TALLY_RATE_LIMIT_PER_IP: "-1" })).toThrow("TALLY_RATE_LIMIT_PER_IP");
  });

  it("docs/configuration.md lists every setting with its default", () => {
    const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    for (const s of Object.values(SETTINGS)) {
      expect(doc).toContain(`\`${s.env}\``);
      expect(doc).toContain(s.description);
    }
  });
});
