/**
 * Alerts in plain words: what each diagnosis means and where to look first (the playbooks of
 * docs/monitoring.md, in one sentence each), and each kind's name.
 */
import type { Alert } from "./types.js";

export const KIND_LABEL: Record<string, string> = {
  volume_drop: "Volume drop",
  volume_spike: "Volume spike",
  schema_drift: "Schema drift",
  value_anomaly: "Odd values",
  tracking_silent: "Tracking silent",
  error_rate: "Error rate",
  dedup_rate: "Duplicate rate",
  identity_conflicts: "Identity conflicts",
  destination_failing: "Destination failing",
  destination_slow: "Destination slow",
};

export const DIAGNOSIS_TITLE: Record<string, string> = {
  tracking_broken: "Tracking looks broken",
  traffic_dropped: "Traffic really dropped",
  traffic_spike: "More traffic than usual",
  value_misreported: "Values look misreported",
  duplicate_sending: "Events sent twice",
  destination_problem: "A destination has trouble",
};

const str = (x: unknown): string | null => (typeof x === "string" && x !== "" ? x : null);

/** Which tag, integration, event or destination the alert names, if any. */
export function subjectOf(a: Alert): string | null {
  const d = a.details;
  const source = str(d.source);
  if (source) return `the ${source} source`;
  const name = str(d.event_name);
  if (name) return `${name} events`;
  const dest = str(d.destination_name) ?? str(d.destination_id);
  if (dest) return `destination ${dest}`;
  return null;
}

/** One or two sentences a person can act on. */
export function diagnosisText(a: Alert): string {
  const subject = subjectOf(a);
  switch (a.diagnosis) {
    case "tracking_broken":
      if (a.kind === "error_rate")
        return "Events are arriving but being refused: an integration sends what Tally cannot accept (a required field missing, a wrong type or time). This is a tracking failure, not a drop in sales — the Test events view shows each refusal with its field.";
      if (a.kind === "identity_conflicts")
        return "Events carry an email, phone or device id already linked to a customer with another external id: Tally keeps them apart rather than merge two customers. A few are shared devices; many mean an integration sends a placeholder (test@example.com, a fixed id) or a device id that is not per device — check the code that fills user_data.";
      if (a.kind === "tracking_silent")
        return "Nothing arrives at all after steady traffic: the tag or the server integration stopped sending (a deploy, a revoked key, a consent banner blocking it) — or the site itself is down. Send a test event to see which.";
      if (a.kind === "schema_drift")
        return `${subject ? `${subject[0]!.toUpperCase()}${subject.slice(1)}` : "Events"} changed shape: a field that was always there went missing, or a new one appeared. An integration was changed: check the data layer or server code that builds ${subject ?? "them"}.`;
      return `One source or event stopped while the rest kept their pace: this is a tracking failure, not a drop in sales. Check the tag or integration ${subject ? `behind ${subject}` : "named below"} — a deploy that removed it, an expired key, a renamed event.`;
    case "traffic_dropped":
      return "Everything fell together: a real drop in traffic or sales — or something in front of every integration (the site, its checkout, the CDN, Tally itself) is down. Check the site and the ad accounts first.";
    case "traffic_spike":
      return "More events than the baseline: a campaign or a sale, a bot, or a client sending each event more than once (see the duplicate rate).";
    case "value_misreported":
      return `Values far from the usual${subject ? ` for ${subject}` : ""}: cents sent as units, a misplaced decimal, or a wrong currency. Open a few conversions' ledgers and fix the integration.`;
    case "duplicate_sending":
      return "The same events arrive more than once: give the browser and server copies the same event_id, and make retries reuse it.";
    case "destination_problem":
      return `${subject ? `${subject[0]!.toUpperCase()}${subject.slice(1)}` : "A destination"} refuses or delays events: read its last error — an expired token, a changed pixel or conversion action id, rate limits or an outage.`;
    default:
      return a.message;
  }
}
