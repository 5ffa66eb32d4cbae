/**
 * Erasure of a person from stored events: the event stays (aggregate counts do), but its
 * user data and identifiers go. Shared by both backends; the backends find candidate rows by
 * the identifier values and this decides, exactly, which rows held one of them.
 */
import type { Identifier } from "../domain/event.js";

interface Payload {
  u?: Record<string, unknown>;
  i?: Identifier[];
}

/** Values to look for in stored payloads (the part after `kind:` of each identity). */
export function identValues(idents: string[]): string[] {
  return [...new Set(idents.map((i) => i.slice(i.indexOf(":") + 1)).filter((v) => v.length > 0))];
}

/** The payload without the person's data, or null when the event did not belong to them. */
export function scrubPayload(payload: string, erased: ReadonlySet<string>): string | null {
  const p = JSON.parse(payload) as Payload;
  const hit = (p.i ?? []).some((id) => erased.has(`${id.kind}:${id.value}`));
  if (!hit) return null;
  p.u = {};
  p.i = [];
  return JSON.stringify(p);
}
