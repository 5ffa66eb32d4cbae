/** The small copies of each provider's published ranges file, in its real format. */
import { readFileSync } from "node:fs";
import type { Provider } from "../../src/quality/range-formats.js";

export const FIXTURES: Record<Provider, string> = {
  aws: "aws-ip-ranges.json",
  google: "google-cloud.json",
  azure: "azure-service-tags.json",
  oracle: "oracle-public-ip-ranges.json",
};

export const fixture = (name: string): string =>
  readFileSync(new URL(`../fixtures/ranges/${name}`, import.meta.url), "utf8");

export const providerFixture = (p: Provider): string => fixture(FIXTURES[p]);
