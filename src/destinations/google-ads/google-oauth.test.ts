import { describe, expect, it } from "vitest";
import { parseConfig, type GoogleAdsConfig } from "../config-schema.js";
import type { HttpAnswer, HttpRequest } from "../types.js";
import { authorizeGoogle, tokenUrl } from "./google-oauth.js";

const config = (extra: Record<string, unknown>) => {
  const r = parseConfig("google_ads", {
    customer_id: "1234567890",
    developer_token: "d",
    conversion_actions: { Purchase: "1" },
    ...extra,
  });
  if (!r.ok) throw new Error(r.message);
  return r.config as GoogleAdsConfig;
};
const oauth = (suffix: string) =>
  config({ client_id: `cid-${suffix}`, client_secret: "cs", refresh_token: "rt", endpoint: "http://fake" });

function sender(answers: HttpAnswer[]) {
  const sent: HttpRequest[] = [];
  const send = (req: HttpRequest) => {
    sent.push(req);
    return Promise.resolve(answers.shift() ?? { kind: "network" as const, message: "none left" });
  };
  return { sent, send };
}

describe("authorizeGoogle", () => {
  it("uses a configured access token without asking", async () => {
    const { sent, send } = sender([]);
    expect(await authorizeGoogle(config({ access_token: "ya29.x" }), send, 0)).toEqual({
      ok: true,
      accessToken: "ya29.x",
    });
    expect(sent).toEqual([]);
  });

  it("refreshes once and caches until shortly before expiry", async () => {
    const { sent, send } = sender([
      {
        kind: "response",
        status: 200,
        headers: {},
        text: JSON.stringify({ access_token: "t1", expires_in: 3600 }),
      },
      {
        kind: "response",
        status: 200,
        headers: {},
        text: JSON.stringify({ access_token: "t2", expires_in: 3600 }),
      },
    ]);
    const c = oauth("cache");
    expect(await authorizeGoogle(c, send, 0)).toEqual({ ok: true, accessToken: "t1" });
    expect(await authorizeGoogle(c, send, 1000)).toEqual({ ok: true, accessToken: "t1" });
    expect(await authorizeGoogle(c, send, 3_600_000)).toEqual({ ok: true, accessToken: "t2" });
    expect(sent).toHaveLength(2);
    expect(sent[0]!.url).toBe("http://fake/token");
    expect(new URLSearchParams(sent[0]!.body).get("grant_type")).toBe("refresh_token");
  });

  it("fails the destination's events for a refused refresh token, retries a failing endpoint", async () => {
    const refused = sender([
      { kind: "response", status: 400, headers: {}, text: JSON.stringify({ error: "invalid_grant" }) },
    ]);
    expect(await authorizeGoogle(oauth("refused"), refused.send, 0)).toMatchObject({
      ok: false,
      outcome: { kind: "failed", isolate: false, error: expect.stringMatching(/invalid_grant/) },
    });
    const down = sender([{ kind: "timeout", ms: 10 }]);
    expect(await authorizeGoogle(oauth("down"), down.send, 0)).toMatchObject({
      ok: false,
      outcome: { kind: "retry" },
    });
  });

  it("takes the token URL from the config", () => {
    expect(tokenUrl(config({ access_token: "a" }))).toBe("https://oauth2.googleapis.com/token");
    expect(tokenUrl(config({ access_token: "a", token_endpoint: "https://t.example/tok" }))).toBe(
      "https://t.example/tok",
    );
  });
});
