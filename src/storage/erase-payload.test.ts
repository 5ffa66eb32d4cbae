import { describe, expect, it } from "vitest";
import { ERASED, Erasure, isTrackingParam } from "./erase-payload.js";

const ANON = "anon-7f3a9c21";
const GCLID = "Cj0KCQ/x+y=z";
const EM = "a".repeat(64);
const erasure = () =>
  new Erasure([`anonymous_id:${ANON}`, `gclid:${GCLID}`, `email:${EM}`, "external_id:42"]);

describe("isTrackingParam", () => {
  it.each(["gclid", "GCLID", "fbclid", "tally_click", "msclkid", "ttclid", "li_fat_id", "gbraid", "wbraid"])(
    "%s is a click id",
    (k) => expect(isTrackingParam(k)).toBe(true),
  );
  it.each(["utm_source", "utm_campaign", "UTM_Term"])("%s is a campaign parameter", (k) =>
    expect(isTrackingParam(k)).toBe(true),
  );
  it.each(["page", "q", "utm", "constructor", "__proto__"])("%s is not", (k) =>
    expect(isTrackingParam(k)).toBe(false),
  );
});

describe("Erasure.scrubUrl", () => {
  const enc = encodeURIComponent(GCLID);
  it.each([
    [
      "the person's own URL loses click ids and utm_*, the rest stays byte for byte",
      `https://shop.example/p?a=%20x&gclid=${enc}&utm_source=google&utm_campaign=spring&tally_click=tc.1`,
      true,
      "https://shop.example/p?a=%20x",
    ],
    [
      "a query left empty goes with its ?",
      `https://shop.example/?gclid=${enc}`,
      true,
      "https://shop.example/",
    ],
    [
      "a fragment with parameters is a query too",
      "https://shop.example/#/land?x=1&fbclid=F123",
      true,
      "https://shop.example/#/land?x=1",
    ],
    [
      "a path segment that is an identifier",
      `https://shop.example/u/${ANON}/orders`,
      false,
      `https://shop.example/u/${ERASED}/orders`,
    ],
    [
      "another person's URL keeps its click ids, loses only the mention",
      `https://shop.example/?gclid=OTHER&ref=${ANON}&utm_source=x`,
      false,
      "https://shop.example/?gclid=OTHER&utm_source=x",
    ],
    [
      "a short id only where it stands alone",
      "https://shop.example/p/42?n=142&id=42",
      false,
      "https://shop.example/p/[erased]?n=142",
    ],
    [
      "lower-case percent escapes",
      `https://x.example/?g=${enc.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase())}`,
      false,
      "https://x.example/",
    ],
    ["form-encoded", "https://x.example/?g=Cj0KCQ%2Fx%2By%3Dz", false, "https://x.example/"],
    [
      "an embedded long value inside other text",
      `https://x.example/?fbc=fb.1.123.${ANON}`,
      false,
      "https://x.example/",
    ],
    [
      "nothing of theirs: unchanged",
      "https://x.example/a?b=1&&c#frag",
      false,
      "https://x.example/a?b=1&&c#frag",
    ],
    [
      "a malformed escape does not throw",
      "https://x.example/%E0%A4%A?q=%zz",
      true,
      "https://x.example/%E0%A4%A?q=%zz",
    ],
  ])("%s", (_name, url, own, want) => {
    expect(erasure().scrubUrl(url, own)).toBe(want);
  });
});

describe("Erasure.scrubPayload", () => {
  const payload = (o: Record<string, unknown>) => JSON.stringify(o);

  it("wipes the person's own event down to what the reports need", () => {
    const e = erasure();
    const out = e.scrubPayload(
      payload({
        u: {
          em: EM,
          em_google: "b".repeat(64),
          anonymous_id: ANON,
          client_user_agent: "UA/1",
          client_ip_truncated: "198.51.100.0",
        },
        c: {
          value: 12,
          currency: "USD",
          order_id: "o-1",
          utm_source: "google",
          gclid: GCLID,
          anonymous_id: ANON,
          landing: `https://shop.example/?gclid=${encodeURIComponent(GCLID)}&p=1`,
          contents: [{ id: "sku-1", note: `for ${ANON}` }, ANON],
        },
        k: { ad_user_data: "granted" },
        a: "website",
        s: `https://shop.example/?utm_campaign=spring&msclkid=M1`,
        i: [{ kind: "anonymous_id", value: ANON }],
      }),
    );
    expect(out).not.toBeNull();
    expect(out!.hit).toBe(true);
    expect(out!.userValues).toContain("UA/1");
    expect(JSON.parse(out!.payload)).toEqual({
      u: {},
      c: {
        value: 12,
        currency: "USD",
        order_id: "o-1",
        landing: "https://shop.example/?p=1",
        contents: [{ id: "sku-1", note: `for ${ERASED}` }],
      },
      k: { ad_user_data: "granted" },
      a: "website",
      s: "https://shop.example/",
      i: [],
      e: 1,
    });
    // The Google form of the email hash was theirs alone: it is erased wherever it appears.
    expect(e.redactText(`echo ${"b".repeat(64)}`)).toBe(`echo ${ERASED}`);
  });

  it("removes only the mentions from someone else's event", () => {
    const out = erasure().scrubPayload(
      payload({
        u: { anonymous_id: "other-visitor", fbc: `fb.1.1.${ANON}` },
        c: { utm_source: "google", friend: ANON },
        s: "https://shop.example/?utm_source=google",
        i: [{ kind: "anonymous_id", value: "other-visitor" }],
      }),
    );
    expect(out!.hit).toBe(false);
    expect(JSON.parse(out!.payload)).toEqual({
      u: { anonymous_id: "other-visitor" },
      c: { utm_source: "google" },
      s: "https://shop.example/?utm_source=google",
      i: [{ kind: "anonymous_id", value: "other-visitor" }],
    });
  });

  it("null when the event holds nothing of theirs", () => {
    expect(
      erasure().scrubPayload(payload({ u: { external_id: "420" }, c: { n: "42 items" }, s: null, i: [] })),
    ).toBeNull();
  });
});

describe("Erasure.patterns and needles", () => {
  it("long values in every stored form; short ones only with their context", () => {
    const p = erasure().patterns();
    expect(p).toEqual(
      expect.arrayContaining([
        ANON,
        GCLID,
        encodeURIComponent(GCLID),
        EM,
        `gclid:${GCLID}`,
        "external_id:42",
        '"external_id":"42"',
      ]),
    );
    expect(p).not.toContain("42");
    expect(p.every((x) => x.length >= 8)).toBe(true);
  });

  it("touch ids: a utm touch id embeds the visitor id", () => {
    const n = erasure().touchIdNeedles();
    expect(n).toContain(ANON);
    expect(n).toContain("|42|");
  });

  it("needles find the JSON-escaped form", () => {
    const e = new Erasure(['external_id:say "hi" \\ now']);
    expect(e.needles()).toContain('say \\"hi\\" \\\\ now');
  });
});

describe("Erasure.redactOwnError", () => {
  it("drops what a platform echoed of the event's user data", () => {
    expect(erasure().redactOwnError(`400 bad ua UA/1.0 for ${EM}`, ["UA/1.0"])).toBe(
      `400 bad ua ${ERASED} for ${ERASED}`,
    );
  });
});
