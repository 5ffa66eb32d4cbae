// The import graph of src/ and packages/: no cycles (type-only imports count: a cycle of types
// is still two modules that cannot be understood apart), and packages are imported by name,
// never by a relative path into another package's folder. dpdm parses with TypeScript and
// resolves `./x.js` to `./x.ts` as tsc does under nodenext.
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { parseCircular, parseDependencyTree, type DependencyTree } from "dpdm";
import { beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../..", import.meta.url)).replace(/\/$/, "");
let tree: DependencyTree;

beforeAll(async () => {
  tree = await parseDependencyTree(["src/**/*.ts", "packages/*/src/**/*.ts", "packages/*/src/**/*.tsx"], {
    cwd: root,
    context: root,
    transform: false, // keep `import type` edges
    skipDynamicImports: false,
  });
}, 60_000);

describe("the import graph", () => {
  it("covers every source file, each relative import resolved", () => {
    const files = Object.keys(tree).filter((f) => f.startsWith("src/"));
    expect(files.length).toBeGreaterThan(200);
    const unresolved = Object.values(tree)
      .flatMap((deps) => deps ?? [])
      .filter((d) => d.request.startsWith(".") && d.id === null)
      .map((d) => `${d.issuer} → ${d.request}`);
    expect(unresolved).toEqual([]);
  });

  it("has no import cycle in src/ or packages/", () => {
    const cycles = parseCircular(tree).map((c) => c.join(" → "));
    expect(cycles).toEqual([]);
  });

  it("reaches packages by name, never by a relative path into another package", () => {
    const deep = Object.entries(tree)
      .flatMap(([file, deps]) => (deps ?? []).map((d) => ({ file, d })))
      .filter(({ file, d }) => {
        if (!d.request.startsWith(".") || d.id === null) return false;
        const from = packageOf(file);
        const to = packageOf(relative(root, d.id));
        return to !== null && to !== from;
      })
      .map(({ file, d }) => `${file} → ${d.request}`);
    expect(deep).toEqual([]);
  });

  it("each package says what it exports", () => {
    for (const name of ["protocol", "sdk-node", "tracker", "dashboard"]) {
      const pkg = JSON.parse(readFileSync(`${root}/packages/${name}/package.json`, "utf8")) as {
        name: string;
        exports?: unknown;
      };
      expect(pkg.name).toBe(`@tally/${name}`);
      expect(pkg.exports).toBeDefined();
    }
  });
});

function packageOf(file: string): string | null {
  const m = /^packages\/([^/]+)\//.exec(file.replaceAll("\\", "/"));
  return m ? m[1]! : null;
}
