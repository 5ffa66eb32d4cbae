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
    const rows = describeConfig(loadConfig({ TALLY_ADMIN_TOKEN: "adm_secret_value" }));
    const admin = rows.find((r) => r.env === "TALLY_ADMIN_TOKEN")!;
    expect(admin.value).toBe("(set, hidden)");
    expect(JSON.stringify(rows)).not.toContain("adm_secret_value");
  });

  it("docs/configuration.md lists every setting with its default", () => {
    const doc = readFileSync(new URL("../../docs/configuration.md", import.meta.url), "utf8");
    for (const s of Object.values(SETTINGS)) {
      expect(doc).toContain(`\`${s.env}\``);
      expect(doc).toContain(s.description);
    }
  });
});
