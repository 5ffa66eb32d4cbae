/** Numbers, money, rates and times as people read them. */

const numberFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const moneyFmts = new Map<string, Intl.NumberFormat>();
const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", second: "2-digit" });
const dateTimeFmt = new Intl.DateTimeFormat(undefined, {
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
});

export function count(n: number | null | undefined): string {
  if (n === null || n === undefined) return "—";
  return Math.abs(n) >= 100_000 ? compactFmt.format(n) : numberFmt.format(n);
}

/** Credit sums are fractional (linear, time decay): one decimal when it matters. */
export function credit(n: number): string {
  return Number.isInteger(n)
    ? numberFmt.format(n)
    : n.toLocaleString(undefined, { maximumFractionDigits: 2 });
}

export function money(n: number | null | undefined, currency: string | null | undefined): string {
  if (n === null || n === undefined) return "—";
  const cur = currency && /^[A-Z]{3}$/.test(currency) ? currency : "USD";
  let f = moneyFmts.get(cur);
  if (!f) {
    f = new Intl.NumberFormat(undefined, { style: "currency", currency: cur, maximumFractionDigits: 2 });
    moneyFmts.set(cur, f);
  }
  return f.format(n);
}

/** Money that fits a tile: compact from 100,000 up ($119.2K). */
export function moneyShort(n: number | null | undefined, currency: string | null | undefined): string {
  if (n === null || n === undefined || Math.abs(n) < 100_000) return money(n, currency);
  const cur = currency && /^[A-Z]{3}$/.test(currency) ? currency : "USD";
  return new Intl.NumberFormat(undefined, {
    style: "currency",
    currency: cur,
    notation: "compact",
    maximumFractionDigits: 1,
  }).format(n);
}

/** Axis labels: whole units, compact from 10,000 up ($25K, $2M). */
export function moneyAxis(n: number, currency: string): string {
  const cur = /^[A-Z]{3}$/.test(currency) ? currency : "USD";
  const compact = Math.abs(n) >= 10_000;
  return new Intl.NumberFormat(undefined, {
    style: "currency",
    currency: cur,
    notation: compact ? "compact" : "standard",
    maximumFractionDigits: compact ? 1 : 0,
  }).format(n);
}

export function percent(r: number | null | undefined, digits = 1): string {
  if (r === null || r === undefined) return "—";
  // More conversions than clicks (conversions that came without one) makes a rate above 100%.
  if (r >= 10) return ">999%";
  return `${(r * 100).toFixed(r !== 0 && r < 0.001 ? 2 : digits)}%`;
}

export function ms(v: number | null | undefined): string {
  if (v === null || v === undefined) return "—";
  if (v < 1000) return `${Math.round(v)} ms`;
  if (v < 60_000) return `${(v / 1000).toFixed(v < 10_000 ? 1 : 0)} s`;
  if (v < 3_600_000) return `${Math.round(v / 60_000)} min`;
  return `${(v / 3_600_000).toFixed(1)} h`;
}

export function clock(iso: string): string {
  return timeFmt.format(new Date(iso));
}

export function dateTime(iso: string): string {
  return dateTimeFmt.format(new Date(iso));
}

export function ago(iso: string | number | null, now = Date.now()): string {
  if (iso === null) return "never";
  const t = typeof iso === "number" ? iso : Date.parse(iso);
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 5) return "just now";
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} d ago`;
}
