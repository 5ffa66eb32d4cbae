/**
 * What the test-events view may show of a received event: everything, except email, phone and
 * IP, which are masked (`j•••@example.com`, `•••0100`, `203.0.113.0/24`). The view lives in
 * memory only, but screens get shared.
 */
const PII = /^(email|em|phone|ph|client_ip_address)$/;

function maskValue(key: string, v: unknown): unknown {
  if (typeof v !== "string") return "•••";
  if (key === "email" || key === "em") {
    const at = v.indexOf("@");
    return at > 0 ? `${v[0]}•••${v.slice(at)}` : "•••";
  }
  if (key === "client_ip_address") return v.includes(".") ? v.split(".").slice(0, 3).join(".") + ".0/24" : "•••";
  return `•••${v.replace(/\D/g, "").slice(-4)}`;
}

export function maskReceived(raw: unknown, depth = 0): unknown {
  if (depth > 10 || raw === null || typeof raw !== "object") return raw;
  if (Array.isArray(raw)) return raw.slice(0, 50).map((x) => maskReceived(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    out[k] = PII.test(k) && /^[a-f0-9]{64}$/i.test(String(v)) === false ? maskValue(k, v) : maskReceived(v, depth + 1);
  }
  return out;
}
