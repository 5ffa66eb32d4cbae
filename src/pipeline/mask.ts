/**
 * What the test-events view may show of a received event: everything, except email, phone and
 * IP, which are masked (`j•••@example.com`, `•••0100`, `203.0.113.0/24`). The view lives in
 * memory only, but screens get shared.
 */
import { replaceEmails } from "./steps/email-like.js";

/** The keys normalize treats as personal data (user_data's and custom_data's), in any case. */
const PII = /^(e-?mail|em|phone|ph|tel|telephone|mobile|ip|ip_address|client_ip_address)$/i;
/** Deeper than this the view shows "…": nothing below it is passed through unmasked. */
const MAX_DEPTH = 10;

const maskEmail = (v: string): string => {
  const at = v.indexOf("@");
  return at > 0 ? `${v[0]}•••${v.slice(at)}` : "•••";
};

function maskValue(key: string, v: unknown): unknown {
  if (typeof v !== "string") return "•••";
  const k = key.toLowerCase();
  if (k.startsWith("e")) return maskEmail(v);
  if (k.includes("ip")) return v.includes(".") ? v.split(".").slice(0, 3).join(".") + ".0/24" : "•••";
  return `•••${v.replace(/\D/g, "").slice(-4)}`;
}

export function maskReceived(raw: unknown, depth = 0): unknown {
  // An email inside any other text (a note, the page URL) is masked too.
  if (typeof raw === "string") return replaceEmails(raw, maskEmail);
  if (raw === null || typeof raw !== "object") return raw;
  if (depth > MAX_DEPTH) return "…";
  if (Array.isArray(raw)) return raw.slice(0, 50).map((x) => maskReceived(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    out[k] =
      PII.test(k) && /^[a-f0-9]{64}$/i.test(String(v)) === false
        ? maskValue(k, v)
        : maskReceived(v, depth + 1);
  }
  return out;
}
