/** The identity limits' planner alone, on random inputs (fast-check): the rules hold whatever arrives. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { IdentifierKind } from "./event.js";
import {
  MAX_IDENTIFIERS_PER_PERSON,
  planLinks,
  rankedIdents,
  type IdentSeen,
  type PersonFacts,
} from "./identity-limits.js";

const KINDS: IdentifierKind[] = ["external_id", "email", "phone", "gclid", "anonymous_id"];

/** Random known persons (each with at most one external id, as the limits keep them) and an event's identifiers. */
const scenario = fc
  .record({
    persons: fc.array(
      fc.record({
        n: fc.integer({ min: 1, max: MAX_IDENTIFIERS_PER_PERSON }),
        external: fc.option(fc.integer({ min: 0, max: 3 })),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    idents: fc.uniqueArray(
      fc.record({
        kind: fc.constantFrom(...KINDS),
        value: fc.integer({ min: 0, max: 3 }),
        owner: fc.option(fc.nat()),
      }),
      { selector: (i) => `${i.kind}:${i.value}`, maxLength: 6 },
    ),
  })
  .map(({ persons, idents }) => {
    const facts = new Map<string, PersonFacts>(
      persons.map((p, i) => [
        `p${i}`,
        { n: p.n, externals: p.external === null ? [] : [`external_id:x${p.external}`] },
      ]),
    );
    const seen: IdentSeen[] = rankedIdents(idents.map((i) => ({ kind: i.kind, value: `v${i.value}` }))).map(
      (r, k) => {
        const owner = idents.find((i) => `${i.kind}:v${i.value}` === r.ident)!.owner;
        return { ...r, person: owner === null || k === -1 ? null : `p${owner % persons.length}` };
      },
    );
    return { facts, seen };
  });

describe("planLinks", () => {
  it("never puts two external ids or more than the limit in one person, and links what it can", () => {
    fc.assert(
      fc.property(scenario, ({ facts, seen }) => {
        const plan = planLinks(seen, (p) => facts.get(p)!);
        const externals = new Set([
          ...plan.persons.flatMap((p) => facts.get(p)!.externals),
          ...plan.add.filter((i) => i.startsWith("external_id:")),
        ]);
        expect(externals.size).toBeLessThanOrEqual(1);
        const n = plan.persons.reduce((a, p) => a + facts.get(p)!.n, 0) + plan.add.length;
        if (plan.persons.length + plan.add.length > 1)
          expect(n).toBeLessThanOrEqual(MAX_IDENTIFIERS_PER_PERSON);
        // Only new identifiers are added; every known person linked was named by the event.
        for (const i of plan.add) expect(seen.find((s) => s.ident === i)?.person).toBeNull();
        for (const p of plan.persons) expect(seen.some((s) => s.person === p)).toBe(true);
        // The strongest identifier is always linked: the event goes with it.
        if (seen.length > 0) {
          const top = seen[0]!;
          expect(top.person === null ? plan.add.includes(top.ident) : plan.persons.includes(top.person)).toBe(
            true,
          );
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("ranks identifiers strongest first and drops repeats", () => {
    expect(
      rankedIdents([
        { kind: "anonymous_id", value: "a" },
        { kind: "gclid", value: "g" },
        { kind: "email", value: "e" },
        { kind: "external_id", value: "u" },
        { kind: "email", value: "e" },
      ]).map((r) => r.ident),
    ).toEqual(["external_id:u", "email:e", "gclid:g", "anonymous_id:a"]);
  });
});
