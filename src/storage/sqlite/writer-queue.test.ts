import { describe, expect, it } from "vitest";
import { nextGroup, type Queued } from "./writer-queue.js";

let seq = 0;
const op = (name: string, weight = 1): Queued => ({ id: ++seq, op: name, args: "[]", weight });
const names = (ms: Queued[]) => ms.map((m) => `${m.op}#${m.id}`);

describe("the writer's next group", () => {
  it("takes operations in order up to the group weight, and always at least one", () => {
    const q = [op("commitEvents", 60), op("commitEvents", 30), op("createLink", 20), op("commitEvents", 5)];
    const { group, rest } = nextGroup(q, 100);
    // The third does not fit; the fourth would, but does not pass it.
    expect(names(group)).toEqual(names(q.slice(0, 2)));
    expect(names(rest)).toEqual(names(q.slice(2)));
    const heavy = op("commitEvents", 500);
    expect(nextGroup([heavy, op("commitEvents")], 100).group).toEqual([heavy]);
  });

  it("leaves the outbox's claims and settlements and the purge's slices behind requests queued with them, in their order", () => {
    const claim = op("claimDeliveries");
    const commit = op("commitEvents", 20);
    const settle = op("completeDeliveries", 1000);
    const link = op("createLink");
    const slice = op("purge");
    const { group, rest } = nextGroup([claim, commit, settle, link, slice], 5000);
    expect(names(group)).toEqual(names([commit, link]));
    expect(names(rest)).toEqual(names([claim, settle, slice]));
    // Alone, they are a group in order.
    expect(names(nextGroup(rest, 5000).group)).toEqual(names([claim, settle, slice]));
  });

  it("leaves each behind once: the group after takes it before the requests that came meanwhile", () => {
    const claim = op("claimDeliveries");
    const first = nextGroup([claim, op("commitEvents")], 5000);
    expect(first.group.map((m) => m.op)).toEqual(["commitEvents"]);
    const later = op("commitEvents");
    const second = nextGroup([...first.rest, later], 5000);
    expect(names(second.group)).toEqual(names([claim, later]));
  });

  it("lets requests that keep coming pass a background operation once, not in every group", () => {
    // Settlements too heavy to share one group and a claim behind them; a commit arrives before
    // every group. Commits queued after a background operation go before it only in the group
    // that first leaves it behind.
    let queue: Queued[] = [
      op("completeDeliveries", 2000),
      op("completeDeliveries", 2000),
      op("completeDeliveries", 2000),
      op("claimDeliveries", 1000),
    ];
    const background = [...queue];
    const ran: Queued[] = [];
    for (let g = 0; g < 10 && background.some((b) => !ran.includes(b)); g++) {
      queue.push(op("commitEvents"));
      const next = nextGroup(queue, 5000);
      ran.push(...next.group);
      queue = next.rest;
    }
    expect(background.every((b) => ran.includes(b))).toBe(true);
    const passedBy = background.map(
      (b) => ran.slice(0, ran.indexOf(b)).filter((m) => m.op === "commitEvents" && m.id > b.id).length,
    );
    expect(passedBy).toEqual([1, 1, 1, 1]);
  });
});
