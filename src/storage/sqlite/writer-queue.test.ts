import { describe, expect, it } from "vitest";
import type { OpMessage } from "./group-committer.js";
import { nextGroup } from "./writer-queue.js";

let seq = 0;
const op = (name: string, weight = 1): OpMessage => ({ id: ++seq, op: name, args: "[]", weight });
const names = (ms: OpMessage[]) => ms.map((m) => `${m.op}#${m.id}`);

describe("the writer's next group", () => {
  it("takes operations in order up to the group weight, and always at least one", () => {
    const q = [op("commitEvents", 60), op("commitEvents", 30), op("createLink", 20), op("commitEvents", 5)];
    const { group, rest, deferred } = nextGroup(q, 100);
    // The third does not fit; the fourth would, but does not pass it.
    expect(names(group)).toEqual(names(q.slice(0, 2)));
    expect(names(rest)).toEqual(names(q.slice(2)));
    expect(deferred).toBe(false);
    const heavy = op("commitEvents", 500);
    expect(nextGroup([heavy, op("commitEvents")], 100).group).toEqual([heavy]);
  });

  it("leaves the outbox's claims and settlements behind requests queued with them, in their order", () => {
    const claim = op("claimDeliveries");
    const commit = op("commitEvents", 20);
    const settle = op("completeDeliveries", 1000);
    const link = op("createLink");
    const claim2 = op("claimDeliveries");
    const { group, rest, deferred } = nextGroup([claim, commit, settle, link, claim2], 5000);
    expect(names(group)).toEqual(names([commit, link]));
    expect(names(rest)).toEqual(names([claim, settle, claim2]));
    expect(deferred).toBe(true);
    // Alone, they are a group in order.
    expect(names(nextGroup(rest, 5000).group)).toEqual(names([claim, settle, claim2]));
  });

  it("leaves the purge's slices behind requests too", () => {
    const slice = op("purge");
    const commit = op("commitEvents");
    const { group, rest } = nextGroup([slice, commit], 5000);
    expect(names(group)).toEqual(names([commit]));
    expect(names(rest)).toEqual(names([slice]));
  });

  it("lets them wait one group at most: the next one is in plain order", () => {
    const claim = op("claimDeliveries");
    const commit = op("commitEvents");
    const next = nextGroup([claim, commit], 5000, false);
    expect(names(next.group)).toEqual(names([claim, commit]));
    expect(next.deferred).toBe(false);
  });

  it("keeps a heavy settlement's place among the others when only they are queued", () => {
    const settle = op("completeDeliveries", 4000);
    const claim = op("claimDeliveries", 1);
    const settle2 = op("completeDeliveries", 2000);
    const claim2 = op("claimDeliveries", 1);
    const { group, rest } = nextGroup([settle, settle2, claim, claim2], 5000);
    expect(names(group)).toEqual(names([settle]));
    expect(names(rest)).toEqual(names([settle2, claim, claim2]));
  });
});
