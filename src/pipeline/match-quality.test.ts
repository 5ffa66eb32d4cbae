import { describe, expect, it } from "vitest";
import { matchQuality } from "./match-quality.js";

const ctx = { defaultCountry: null, requestIp: null, requestUserAgent: null };
const HASH = "a".repeat(64);

describe("matchQuality", () => {
  it.each([
    ["nothing", {}, 0, []],
    ["anonymous id only", { anonymous_id: "a1" }, 0, []],
    ["external id alone adds nothing", { external_id: "crm-1" }, 0, []],
    ["valid email", { email: "jane@shop.example" }, 3, []],
    ["email without a dot after @", { email: "jane@shop" }, 0, ["email_invalid"]],
    ["email without @", { em: "jane.shop.example" }, 0, ["email_invalid"]],
    ["hashed email", { email: HASH }, 3, []],
    ["upper-case hashed email", { email: HASH.toUpperCase() }, 3, ["hash_not_normalized"]],
    ["phone with +", { phone: "+1 415 555 0100" }, 2, []],
    ["phone without country", { phone: "415 555 0100" }, 0, ["phone_no_country"]],
    ["short phone", { phone: "+1 555" }, 0, ["phone_invalid"]],
    ["private IP", { client_ip_address: "10.0.0.1", client_user_agent: "UA" }, 1, ["ip_not_public"]],
    ["public IP and UA", { client_ip_address: "8.8.8.8", client_user_agent: "UA" }, 2, []],
    ["documentation range IP", { client_ip_address: "203.0.113.9" }, 0, ["ip_not_public"]],
    ["click id + external id", { gclid: "g-1", external_id: "x" }, 3, []],
  ] as const)("%s", (_name, user, score, problems) => {
    const q = matchQuality(user, ctx);
    expect(q.score).toBe(score);
    expect(q.problems.map((p) => p.code)).toEqual(problems);
  });

  it("scores a full event at least 7 and names what it carries", () => {
    const q = matchQuality(
      {
        email: "Jane.Doe@Example.com",
        phone: "+1 (415) 555-0100",
        fbclid: "fb-1",
        client_ip_address: "8.8.8.8",
        client_user_agent: "Mozilla/5.0",
        external_id: "crm-77",
      },
      ctx,
    );
    expect(q.score).toBeGreaterThanOrEqual(7);
    expect(q.score).toBeLessThanOrEqual(10);
    expect(q.identifiers).toEqual(
      expect.arrayContaining([
        "email",
        "phone",
        "fbclid",
        "client_ip_address",
        "client_user_agent",
        "external_id",
      ]),
    );
    expect(q.problems).toEqual([]);
  });

  it("takes the default country for a phone without +, and the request's IP and UA", () => {
    const q = matchQuality(
      { phone: "415 555 0100" },
      { defaultCountry: "US", requestIp: "8.8.8.8", requestUserAgent: "UA" },
    );
    expect(q.score).toBe(4);
    expect(q.problems).toEqual([]);
  });
});
