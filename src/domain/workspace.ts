/** Workspaces ("ad accounts"), their keys and conversion actions. */
import type { QualitySettings } from "../quality/settings.js";

export type ConsentDefault = "denied" | "granted";

export interface Workspace {
  id: string;
  name: string;
  currency: string;
  timezone: string;
  defaultCountry: string | null;
  allowedOrigins: string[];
  consentDefault: ConsentDefault;
  /** Traffic-quality thresholds and what reports do with flagged conversions (defaults filled in). */
  quality: QualitySettings;
  publicKey: string;
  createdAt: number;
}

export interface ConversionAction {
  name: string;
  required: string[];
  clickWindowDays: number;
  viewWindowDays: number;
}

export const STANDARD_ACTIONS = [
  "Purchase",
  "Lead",
  "CompleteRegistration",
  "AddToCart",
  "InitiateCheckout",
  "StartTrial",
  "Subscribe",
  "Contact",
  "SubmitApplication",
  "Schedule",
  "AppInstall",
] as const;

/** Accepted, stored and counted nowhere as conversions. */
export const NON_CONVERSION_EVENTS = ["PageView", "ViewContent", "Search", "Exposure"] as const;

export function standardActions(): ConversionAction[] {
  return STANDARD_ACTIONS.map((name) => ({
    name,
    required: name === "Purchase" ? ["value", "currency"] : [],
    clickWindowDays: 30,
    viewWindowDays: 1,
  }));
}

/** Fields a conversion action may require. */
export const REQUIRABLE_FIELDS = [
  "value",
  "currency",
  "order_id",
  "event_id",
  "email",
  "phone",
  "external_id",
] as const;

export const ACTION_NAME = /^[A-Za-z0-9_]{1,64}$/;
