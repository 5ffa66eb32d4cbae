/**
 * validate + normalize for an imported click or impression (`POST /v1/clicks`,
 * `/v1/impressions`): the same rules as events where they overlap (times, hashing of email
 * and phone), a result per touch.
 */
import { hashEmail, hashPhone } from "@tally/protocol";
import { CLICK_ID_KINDS, type Identifier, type TouchInput } from "../../domain/event.js";
import { DAY_MS, MINUTE_MS, parseTime } from "../../domain/time.js";
import { ok, reject, type StepResult } from "../result.js";
import { nulPath } from "./nul.js";

/** Click ids are opaque tokens: printable, no spaces, bounded. */
const CLICK_ID = /^[\x21-\x7e]{1,512}$/;

export interface TouchContext {
  kind: "click" | "impression";
  receivedAt: number;
  maxAgeDays: number;
  maxFutureMinutes: number;
  defaultCountry: string | null;
}

function str(
  o: Record<string, unknown>,
  k: string,
  max: number,
  required: boolean,
): StepResult<string | null> {
  const v = o[k];
  if (v === undefined || v === null || v === "") return required ? reject("missing_field", k) : ok(null);
  if (typeof v === "number" && Number.isFinite(v)) return ok(String(v));
  if (typeof v !== "string") return reject("invalid_field", k, `\`${k}\` must be a string.`);
  if (v.length > max) return reject("invalid_field", k, `\`${k}\` is longer than ${max} characters.`);
  return ok(v.trim());
}

export function validateTouch(raw: unknown, ctx: TouchContext): StepResult<TouchInput> {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    return reject("invalid_event", undefined, "Each touch must be a JSON object.");
  const o = raw as Record<string, unknown>;
  const nul = nulPath(o);
  if (nul !== null) return reject("invalid_field", nul, `\`${nul}\` contains a NUL character (U+0000).`);
  if (o.time === undefined || o.time === null) return reject("missing_field", "time");
  const time = parseTime(o.time);
  if (time === null)
    return reject("invalid_field", "time", "`time` must be unix seconds or ISO-8601 with a zone.");
  if (time < ctx.receivedAt - ctx.maxAgeDays * DAY_MS)
    return reject("event_too_old", "time", `\`time\` is more than ${ctx.maxAgeDays} days old.`);
  if (time > ctx.receivedAt + ctx.maxFutureMinutes * MINUTE_MS)
    return reject("event_in_future", "time", "`time` is in the future.");
  const platform = str(o, "platform", 64, true);
  if (!platform.ok) return platform;
  const campaign = str(o, "campaign", 256, true);
  if (!campaign.ok) return campaign;
  const ad = str(o, "ad", 256, false);
  if (!ad.ok) return ad;
  const touchId = str(o, "touch_id", 256, false);
  if (!touchId.ok) return touchId;

  const identifiers: Identifier[] = [];
  let clickId: string | null = null;
  for (const kind of CLICK_ID_KINDS) {
    const v = o[kind];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string" || !CLICK_ID.test(v))
      return reject(
        "invalid_field",
        kind,
        `\`${kind}\` is not a valid click id (printable characters, no spaces, at most 512).`,
      );
    identifiers.push({ kind, value: v });
    clickId ??= `${kind}:${v}`;
  }
  for (const kind of ["anonymous_id", "external_id"] as const) {
    const v = str(o, kind, 256, false);
    if (!v.ok) return v;
    if (v.value) identifiers.push({ kind, value: v.value });
  }
  // Like an event's user_data: a value that is not a string is refused, not silently dropped.
  for (const kind of ["email", "phone"] as const) {
    const v = o[kind];
    if (v === undefined || v === null || v === "") continue;
    if (typeof v !== "string") return reject("invalid_field", kind, `\`${kind}\` must be a string.`);
    const h = kind === "email" ? hashEmail(v) : hashPhone(v, ctx.defaultCountry ?? undefined);
    if (!h)
      return reject(
        "invalid_field",
        kind,
        kind === "email" ? "`email` is not an email address." : "`phone` is not a phone number.",
      );
    identifiers.push({ kind, value: h });
  }
  return ok({
    kind: ctx.kind,
    time,
    platform: platform.value!.toLowerCase(),
    campaign: campaign.value,
    ad: ad.value,
    touchId: touchId.value,
    clickId: ctx.kind === "click" ? clickId : null,
    identifiers,
  });
}
