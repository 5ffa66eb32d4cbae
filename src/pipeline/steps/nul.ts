/**
 * NUL characters (U+0000) in an item's strings or keys. JSON allows them, but no text column
 * of PostgreSQL (nor its jsonb) can hold one, and no identifier, name or URL has one: the item
 * is rejected on its own, the same way on both backends, before anything is stored.
 */

/** The dotted path of the first string or key holding a NUL, or null. Iterative: depth is already capped. */
export function nulPath(root: unknown): string | null {
  const stack: [unknown, string][] = [[root, ""]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === "string") {
      if (v.includes("\u0000")) return path;
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => stack.push([x, path ? `${path}.${i}` : String(i)]));
    } else if (v !== null && typeof v === "object") {
      for (const [k, x] of Object.entries(v)) {
        const p = path ? `${path}.${k}` : k;
        if (k.includes("\u0000")) return p;
        stack.push([x, p]);
      }
    }
  }
  return null;
}
