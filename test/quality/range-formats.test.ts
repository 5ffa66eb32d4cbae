import { describe, expect, it } from "vitest";
import { CidrMatcher } from "../../src/quality/cidr-matcher.js";
import { parseProviderRanges, type Provider } from "../../src/quality/range-formats.js";
import { FIXTURES, fixture } from "./fixtures.js";

describe("the providers' published formats", () => {
  it.each([
    ["aws", ["3.5.140.0/22", "18.196.0.0/15", "2600:1f14::/35"], "1764425012"],
    [
      "google",
      ["34.1.208.0/20", "34.35.0.0/16", "2600:1900:8000::/44", "35.187.144.0/20", "2600:1901:8100::/44"],
      "1764402303404",
    ],
    [
      "azure",
      [
        "4.145.0.0/16",
        "20.33.0.0/16",
        "40.64.0.0/10",
        "2603:1000::/24",
        "2a01:111:f100::/48",
        "13.69.0.0/17",
        "2603:1020:200::/46",
      ],
      "358",
    ],
    [
      "oracle",
      ["129.146.0.0/21", "134.70.8.0/21", "2603:c020::/32", "130.61.0.0/16"],
      "2025-11-27T22:11:18.771284",
    ],
  ] as const)("%s: the ranges where customers' machines live", (provider, cidrs, published) => {
    const r = parseProviderRanges(provider, fixture(FIXTURES[provider]));
    expect(r).toEqual({ ok: true, value: { provider, cidrs, published } });
  });

  it("AWS: CloudFront, S3 and the AMAZON-only ranges are not machines customers rent", () => {
    const r = parseProviderRanges("aws", fixture(FIXTURES.aws));
    const m = CidrMatcher.from(r.ok ? r.value.cidrs : []);
    expect(m.has("3.5.141.7")).toBe(true); // EC2
    expect(m.has("13.32.1.1")).toBe(false); // CloudFront: a CDN edge in front of real visitors
    expect(m.has("52.94.77.1")).toBe(false); // AMAZON only (Amazon's own services)
    expect(m.has("2a05:d07c:2000::1")).toBe(false); // S3
  });

  it("Azure: only the AzureCloud tags (Front Door and service tags apart)", () => {
    const r = parseProviderRanges("azure", fixture(FIXTURES.azure));
    const m = CidrMatcher.from(r.ok ? r.value.cidrs : []);
    expect(m.has("13.69.1.1")).toBe(true);
    expect(m.has("13.107.246.9")).toBe(false);
  });

  const bad: [Provider, string, string][] = [
    ["aws", "not json", "not JSON"],
    ["aws", "[]", "not a JSON object"],
    ["aws", "{}", "no `prefixes` list (not ip-ranges.json)"],
    ["aws", '{"prefixes": []}', "no Amazon Web Services range in the file"],
    [
      "aws",
      '{"prefixes": [{"ip_prefix": "3.5.140.0/22", "service": "S3"}, 7, null]}',
      "no Amazon Web Services range in the file",
    ],
    ["google", '{"prefixes": "x"}', "no `prefixes` list (not cloud.json)"],
    ["google", '{"prefixes": [{"ipv4Prefix": 5}]}', "no Google Cloud range in the file"],
    ["azure", '{"values": {}}', "no `values` list (not ServiceTags_Public)"],
    [
      "azure",
      '{"values": [{"name": "Storage", "properties": {"addressPrefixes": ["1.2.3.0/24"]}}]}',
      "no Microsoft Azure range in the file",
    ],
    ["oracle", '{"regions": null}', "no `regions` list (not public_ip_ranges.json)"],
    [
      "oracle",
      '{"regions": [{"region": "x", "cidrs": [{"cidr": ""}]}]}',
      "no Oracle Cloud range in the file",
    ],
    // Another provider's file in the wrong place is refused, not read as empty.
    ["oracle", fixture(FIXTURES.aws), "no `regions` list (not public_ip_ranges.json)"],
    ["azure", fixture(FIXTURES.google), "no `values` list (not ServiceTags_Public)"],
  ];
  it.each(bad)("%s refuses %j", (provider, text, reason) => {
    expect(parseProviderRanges(provider, text)).toEqual({ ok: false, reason });
  });
});
