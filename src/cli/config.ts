import { describeConfig, loadConfig } from "../config/config.js";

/** `tally config`: every setting with its variable, default, current value and description. */
export function configCommand(_argv: string[]): Promise<number> {
  const rows = describeConfig(loadConfig(process.env));
  const w = (k: keyof (typeof rows)[number]) => Math.max(...rows.map((r) => r[k].length), k.length);
  const line = (r: Record<string, string>) =>
    `${r.env!.padEnd(w("env"))}  ${r.default!.padEnd(w("default"))}  ${r.value!.padEnd(w("value"))}  ${r.description}`;
  console.log(line({ env: "VARIABLE", default: "DEFAULT", value: "CURRENT", description: "DESCRIPTION" }));
  for (const r of rows) console.log(line(r));
  return Promise.resolve(0);
}
