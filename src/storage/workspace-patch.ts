/** A workspace settings patch as the columns it changes: one mapping for both backends. */
import type { WorkspacePatch } from "./storage.js";

const COLUMNS: [keyof WorkspacePatch, string][] = [
  ["name", "name"],
  ["currency", "currency"],
  ["timezone", "timezone"],
  ["defaultCountry", "default_country"],
  ["allowedOrigins", "allowed_origins"],
  ["consentDefault", "consent_default"],
];

/** The columns a patch sets, with their values as stored (lists as JSON text). */
export function workspacePatchColumns(patch: WorkspacePatch): { column: string; value: unknown }[] {
  const out: { column: string; value: unknown }[] = [];
  for (const [key, column] of COLUMNS) {
    const v = patch[key];
    if (v !== undefined) out.push({ column, value: Array.isArray(v) ? JSON.stringify(v) : v });
  }
  return out;
}
