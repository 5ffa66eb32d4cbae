/** What a detector reports: a condition that holds now. The lifecycle turns it into an alert. */
import type { AlertKind, Diagnosis } from "../../domain/alert.js";

export interface Condition {
  kind: AlertKind;
  /** What it is about within its kind; one alert per (kind, subject) fires at a time. */
  subject: string;
  severity: "warning" | "critical";
  message: string;
  diagnosis: Diagnosis | null;
  details: Record<string, unknown>;
}
