/**
 * Which links an event's identifiers may make: the identity graph's merge limits, shared by
 * every `CommitTx` (memory, SQLite, PostgreSQL) so the three decide alike.
 *
 * Without limits one shared identifier joins people for good, and a stream of events pairing
 * identifiers at random (a hostile client, a shared kiosk, a bug in a site's tag) grows one
 * person without bound: every later merge relabels all of it and every event of it waits on
 * its lock. Two rules, as Segment's identity limits and Snowplow's unique identifiers have them:
 *
 * - `external_id` is unique: a person holds at most one, and two persons holding different
 *   ones are never merged (a family sharing a laptop stays two customers).
 * - A person holds at most {@link MAX_IDENTIFIERS_PER_PERSON} identifiers: a merge that would
 *   pass it is not made, and a new identifier is not added to a full person.
 *
 * The identifiers are taken strongest first (external id, email, phone, click ids, anonymous
 * id); the event belongs to the group of the first that can be linked, and each later one joins
 * it only when both rules allow. What cannot join is left as it was: a known identifier stays
 * with its own person, a new one is not recorded (seen alone later, it starts a person).
 */
import type { Identifier, IdentifierKind } from "./event.js";

/** The most identifiers one person holds (Segment's profile limits are of this order). */
export const MAX_IDENTIFIERS_PER_PERSON = 500;

const EXTERNAL = "external_id";

const RANK: Partial<Record<IdentifierKind, number>> = { external_id: 0, email: 1, phone: 2, anonymous_id: 4 };
/** Click ids rank between phone and anonymous id. */
const rankOf = (kind: IdentifierKind): number => RANK[kind] ?? 3;

/** What a known person holds, as far as the limits care. */
export interface PersonFacts {
  /** Identifiers held (a count up to MAX_IDENTIFIERS_PER_PERSON + 1 is enough). */
  n: number;
  /** Its external ids as stored (`external_id:…`); one at most for persons made under the limits. */
  externals: string[];
}

/** One identifier of the event, as stored (`kind:value`), with the person it names, if known. */
export interface IdentSeen {
  kind: IdentifierKind;
  ident: string;
  person: string | null;
}

export interface LinkPlan {
  /** Known persons to join into one (union by size); none: the event starts a new person. */
  persons: string[];
  /** New identifiers to record for that person. */
  add: string[];
  /** The event's identifiers the limits kept apart (not linked, or not recorded). */
  refused: number;
}

/** The stored form of identifiers, deduplicated, strongest first. */
export function rankedIdents(identifiers: Identifier[]): { kind: IdentifierKind; ident: string }[] {
  const seen = new Set<string>();
  const out: { kind: IdentifierKind; ident: string }[] = [];
  for (const i of identifiers) {
    const ident = `${i.kind}:${i.value}`;
    if (seen.has(ident)) continue;
    seen.add(ident);
    out.push({ kind: i.kind, ident });
  }
  // Stable: identifiers of one kind keep the order they were sent in.
  return out.sort((a, b) => rankOf(a.kind) - rankOf(b.kind));
}

/** The one person every identifier names, when all are known and name the same one. */
function soleKnownPerson(seen: IdentSeen[]): string | null {
  const person = seen[0]?.person ?? null;
  return person !== null && seen.every((s) => s.person === person) ? person : null;
}

/**
 * The links to make for identifiers `seen` (strongest first), given what each known person
 * holds. `facts` is called only for persons in `seen`, and never when every identifier
 * names one known person (a returning visitor with nothing new).
 */
export function planLinks(seen: IdentSeen[], facts: (person: string) => PersonFacts): LinkPlan {
  // The hot path of a returning visitor: nothing new, one person.
  const sole = soleKnownPerson(seen);
  if (sole !== null) return { persons: [sole], add: [], refused: 0 };
  const persons: string[] = [];
  const add: string[] = [];
  let refused = 0;
  let n = 0;
  const externals = new Set<string>();
  /** Joining a group holding `other` external ids would put two different ones in one person. */
  const conflicts = (other: readonly string[]) =>
    externals.size > 0 && other.length > 0 && !other.some((e) => externals.has(e));
  for (const s of seen) {
    const first = persons.length === 0 && add.length === 0;
    if (s.person !== null) {
      if (persons.includes(s.person)) continue;
      const f = facts(s.person);
      if (!first && (n + f.n > MAX_IDENTIFIERS_PER_PERSON || conflicts(f.externals))) {
        refused++;
        continue;
      }
      persons.push(s.person);
      n += f.n;
      for (const e of f.externals) externals.add(e);
    } else {
      const external = s.kind === EXTERNAL ? [s.ident] : [];
      if (!first && (n + 1 > MAX_IDENTIFIERS_PER_PERSON || conflicts(external))) {
        refused++;
        continue;
      }
      add.push(s.ident);
      n += 1;
      for (const e of external) externals.add(e);
    }
  }
  return { persons, add, refused };
}
