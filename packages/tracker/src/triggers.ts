// No-code triggers: `data-tally-track="Lead"` on a form (its submit) or any other element (its
// click), with `data-tally-*` attributes as parameters — what a tag manager's click and form
// triggers do, without one. Form fields are never read.

import type { Rec } from "./types.js";

const PREFIX = "data-tally-";

export interface TriggerCall {
  name: string;
  params: Rec;
  options: Rec;
}

/**
 * Reads a trigger from an element's attributes: `data-tally-order-id="7"` → `{order_id: "7"}`,
 * `data-tally-value` as a number, `data-tally-event-id` as the event's `event_id`.
 */
export function readTrigger(attributes: ArrayLike<{ name: string; value: string }>): TriggerCall {
  const call: TriggerCall = { name: "", params: {}, options: {} };
  for (const { name, value } of Array.from(attributes)) {
    if (!name.startsWith(PREFIX)) continue;
    const k = name.slice(PREFIX.length).replace(/-/g, "_");
    if (k === "track") call.name = value;
    else if (k === "event_id") call.options.event_id = value;
    else call.params[k] = k === "value" && value.trim() && isFinite(+value) ? +value : value;
  }
  return call;
}

/** Listens (capturing, so host handlers cannot stop it) for clicks and submits to track. */
export function watchTriggers(fire: (call: TriggerCall) => void): void {
  const on = (type: string, find: (target: Element) => Element | null | undefined): void =>
    document.addEventListener(
      type,
      (e) => {
        try {
          const el = find(e.target as Element);
          if (el) fire(readTrigger(el.attributes));
        } catch {
          // Never into the host page.
        }
      },
      true,
    );
  // A click inside a tracked form is not the form's event: the form reports its submit.
  on("click", (t) => {
    const el = t.closest("[data-tally-track]");
    return el && el.tagName !== "FORM" ? el : null;
  });
  on("submit", (t) => (t.hasAttribute("data-tally-track") ? t : null));
}
