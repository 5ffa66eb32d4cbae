/**
 * The one body parser: JSON sent as application/json or text/plain (sendBeacon cannot set a
 * JSON content type without a preflight). Invalid UTF-8, malformed JSON and nesting deeper
 * than the cap are 400s; `__proto__`, `constructor` and `prototype` keys are dropped so
 * nothing downstream can be tricked by them, and the rest of the event is kept.
 */
import { isUtf8 } from "node:buffer";
import { HttpError } from "../domain/errors.js";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);

export function parseJsonBody(buf: Buffer, maxDepth: number): unknown {
  if (buf.length === 0) throw new HttpError("invalid_json", "The body is empty; send a JSON object.");
  if (!isUtf8(buf)) throw new HttpError("invalid_utf8");
  let value: unknown;
  try {
    value = JSON.parse(buf.toString("utf8"));
  } catch (err) {
    throw new HttpError(
      "invalid_json",
      `The body is not valid JSON: ${(err as Error).message.slice(0, 160)}`,
    );
  }
  sanitize(value, maxDepth);
  return value;
}

/** Iterative walk: checks depth and removes prototype-polluting keys, in place. */
function sanitize(root: unknown, maxDepth: number): void {
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== "object") continue;
    if (depth > maxDepth)
      throw new HttpError("nesting_too_deep", `The JSON body is nested deeper than ${maxDepth} levels.`);
    if (Array.isArray(v)) {
      for (const x of v) if (x !== null && typeof x === "object") stack.push([x, depth + 1]);
      continue;
    }
    const obj = v as Record<string, unknown>;
    for (const k of Object.keys(obj)) {
      if (FORBIDDEN_KEYS.has(k)) {
        delete obj[k];
        continue;
      }
      const x = obj[k];
      if (x !== null && typeof x === "object") stack.push([x, depth + 1]);
    }
  }
}
