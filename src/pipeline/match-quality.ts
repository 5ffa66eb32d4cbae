/**
 * Match quality: how well an ad platform can match an event to a person, judged when the event
 * is accepted, from the user data as sent (plain values never leave normalize: this runs
 * there, and keeps only kinds, a score and problems). Weights (docs/destinations.md):
 *
 * | what                                  | points |
 * | ------------------------------------- | ------ |
 * | a valid email                         | 3      |
 * | a valid phone with its country        | 2      |
 * | a click id (any platform's, or fbc)   | 2      |
 * | a public IP and a user agent          | 2 (one of them alone: 1) |
 * | external_id, when any of the above    | 1      |
 *
 * The score is capped at 10; with none of email, phone, click id, IP or user agent it is 0.
 * An identifier with a problem adds nothing.
 */
import ipaddr from "ipaddr.js";
import { CLICK_ID_KINDS } from "../domain/event.js";
import type { UserInput } from "./steps/validate-fields.js";

export interface MatchProblem {
  code: "email_invalid" | "phone_no_country" | "phone_invalid" | "hash_not_normalized" | "ip_not_public";
  field: string;
  message: string;
}

export interface MatchQuality {
  score: number;
  identifiers: string[];
  problems: MatchProblem[];
}

export interface MatchContext {
  defaultCountry: string | null;
  /** Browser collection: IP and user agent come from the request. */
  requestIp: string | null;
  requestUserAgent: string | null;
}

const HEX64 = /^[0-9a-fA-F]{64}$/;

function isPublicIp(ip: string): boolean {
  if (!ipaddr.isValid(ip)) return false;
  let addr = ipaddr.parse(ip);
  if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    addr = (addr as ipaddr.IPv6).toIPv4Address();
  if (addr.range() !== "unicast") return false;
  return addr.kind() === "ipv4" || addr.match(ipaddr.parseCIDR("2000::/3"));
}

/** A hash sent upper-case: platforms compare lower-case hex, so it matches nothing there. */
function hashProblem(field: string, v: string): MatchProblem | null {
  return HEX64.test(v) && v !== v.toLowerCase()
    ? {
        code: "hash_not_normalized",
        field,
        message: `\`${field}\` is a SHA-256 hash in upper case; send it lower-case (Tally forwards it lower-cased).`,
      }
    : null;
}

export function matchQuality(u: UserInput, ctx: MatchContext): MatchQuality {
  const problems: MatchProblem[] = [];
  const ids: string[] = [];
  let score = 0;

  const emailField = u.email !== undefined ? "user_data.email" : "user_data.em";
  const email = (u.email ?? u.em)?.trim();
  if (email !== undefined && email !== "") {
    const hp = hashProblem(emailField, email);
    if (hp) problems.push(hp);
    const at = email.indexOf("@");
    if (HEX64.test(email) || (at > 0 && email.indexOf(".", at) > at + 1)) {
      ids.push("email");
      score += 3;
    } else
      problems.push({
        code: "email_invalid",
        field: emailField,
        message: `\`${emailField}\` is not an email address (it needs an @ and a dot after it).`,
      });
  }

  const phoneField = u.phone !== undefined ? "user_data.phone" : "user_data.ph";
  const phone = (u.phone ?? u.ph)?.trim();
  if (phone !== undefined && phone !== "") {
    if (HEX64.test(phone)) {
      const hp = hashProblem(phoneField, phone);
      if (hp) problems.push(hp);
      ids.push("phone");
      score += 2;
    } else if (phone.replace(/\D/g, "").length < 7) {
      problems.push({
        code: "phone_invalid",
        field: phoneField,
        message: `\`${phoneField}\` has fewer than 7 digits.`,
      });
    } else if (!phone.startsWith("+") && !phone.startsWith("00") && !ctx.defaultCountry) {
      problems.push({
        code: "phone_no_country",
        field: phoneField,
        message: `\`${phoneField}\` has no country code (+…) and the workspace has no default_country.`,
      });
    } else {
      ids.push("phone");
      score += 2;
    }
  }

  if (u.external_id) ids.push("external_id");
  const clicks = CLICK_ID_KINDS.filter((k) => u[k]);
  ids.push(...clicks);
  if (u.fbc) ids.push("fbc");
  if (u.fbp) ids.push("fbp");
  if (clicks.length > 0 || u.fbc) score += 2;

  const ip = ctx.requestIp ?? u.client_ip_address ?? null;
  let network = 0;
  if (ip) {
    if (isPublicIp(ip)) {
      ids.push("client_ip_address");
      network++;
    } else
      problems.push({
        code: "ip_not_public",
        field: "user_data.client_ip_address",
        message:
          "`user_data.client_ip_address` is not a public address (a server's or a proxy's?): send the visitor's.",
      });
  }
  if (ctx.requestUserAgent ?? u.client_user_agent) {
    ids.push("client_user_agent");
    network++;
  }
  score += network === 2 ? 2 : network;
  if (score > 0 && u.external_id) score += 1;
  if (u.anonymous_id) ids.push("anonymous_id");
  return { score: Math.min(10, score), identifiers: ids, problems };
}
