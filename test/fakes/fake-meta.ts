/**
 * A fake Meta Conversions API (platform-apis.md §1): `POST /{version}/{pixel_id}/events`, the
 * token as Bearer or `access_token`, `data` of 1…1000 events, `event_time` in unix seconds and
 * at most 7 days old (else the WHOLE request fails, 100/2804003), hashed fields as 64-hex
 * (optionally with the param-builder appendix), website events with `client_user_agent` and
 * `event_source_url`, Purchase with value and currency. Errors in the Graph envelope.
 */
import { FakeServer, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";

const HASHED = /^[a-f0-9]{64}(\.[A-Za-z0-9_-]+)?$/;
const ACTION_SOURCES = new Set([
  "email",
  "website",
  "app",
  "phone_call",
  "chat",
  "physical_store",
  "system_generated",
  "other",
  "business_messaging",
]);
const HASHED_FIELDS = ["em", "ph", "fn", "ln", "db", "ge", "ct", "st", "zp", "country", "external_id"];
const DAY_S = 86_400;

export interface FakeMetaOptions {
  accessToken?: string;
  pixelId?: string;
}

function graphError(
  code: number,
  message: string,
  extra: Record<string, unknown> = {},
  status = 400,
): FakeAnswer {
  return {
    status,
    body: {
      error: { message, type: "OAuthException", code, is_transient: false, fbtrace_id: "AbCdEf", ...extra },
    },
  };
}

/** Checks one event; returns the whole-request error Meta would answer, or null. */
function checkEvent(ev: unknown, i: number, fake: FakeServer): FakeAnswer | null {
  const bad = (msg: string, sub = 2804001) => {
    fake.problem(`data[${i}]: ${msg}`);
    return graphError(100, `Invalid parameter: ${msg}`, { error_subcode: sub });
  };
  if (!isObject(ev)) return bad("event is not an object");
  if (typeof ev.event_name !== "string" || ev.event_name === "") return bad("event_name is required");
  if (typeof ev.event_time !== "number" || !Number.isInteger(ev.event_time))
    return bad("event_time must be an integer");
  if (ev.event_time > 1e11) return bad("event_time must be unix seconds");
  const now = Math.floor(Date.now() / 1000);
  if (now - ev.event_time > 7 * DAY_S) {
    fake.problem(`data[${i}]: event older than 7 days`);
    return graphError(100, "Invalid parameter", {
      error_subcode: 2804003,
      error_user_title: "Event Timestamp Too Old",
      error_user_msg: "The timestamp for this event is too far in the past.",
    });
  }
  if (typeof ev.action_source !== "string" || !ACTION_SOURCES.has(ev.action_source))
    return bad("action_source is missing or unknown");
  if (!isObject(ev.user_data)) return bad("user_data is required");
  const u = ev.user_data;
  for (const f of HASHED_FIELDS) {
    const v = u[f];
    if (v === undefined) continue;
    const values = Array.isArray(v) ? v : [v];
    if (!values.every((x) => typeof x === "string" && HASHED.test(x)))
      return bad(`user_data.${f} must be SHA-256 hex`);
  }
  if (
    u.client_ip_address !== undefined &&
    (typeof u.client_ip_address !== "string" || !/^[0-9a-fA-F.:]+$/.test(u.client_ip_address))
  )
    return bad("client_ip_address is not an IP address");
  if (
    ev.action_source === "website" &&
    (typeof u.client_user_agent !== "string" || typeof ev.event_source_url !== "string")
  )
    return bad("website events need client_user_agent and event_source_url", 2804050);
  if (ev.event_name === "Purchase") {
    const cd = ev.custom_data;
    if (!isObject(cd) || typeof cd.value !== "number" || typeof cd.currency !== "string") {
      fake.problem(`data[${i}]: Purchase without value and currency`);
      return graphError(100, "Invalid parameter", {
        error_subcode: 2804009,
        error_user_title: "Missing Value for Purchase Event",
      });
    }
  }
  return null;
}

export function metaHandler(opts: FakeMetaOptions) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    const m = /^\/v\d+\.\d+\/(\d+)\/events$/.exec(req.path);
    if (req.method !== "POST" || !m) {
      fake.problem(`unexpected ${req.method} ${req.path}`);
      return graphError(100, "Unsupported post request.", { error_subcode: 33 });
    }
    if (opts.pixelId && m[1] !== opts.pixelId)
      return graphError(100, "Object does not exist", { error_subcode: 33 });
    const body = isObject(req.body) ? req.body : null;
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    const token =
      bearer ?? (typeof body?.access_token === "string" ? body.access_token : req.query.get("access_token"));
    if (!token || (opts.accessToken && token !== opts.accessToken)) {
      fake.problem("missing or wrong access token");
      return graphError(190, "Invalid OAuth access token - Cannot parse access token", {}, 401);
    }
    if (!body || !Array.isArray(body.data) || body.data.length === 0) {
      fake.problem("data must be a non-empty array");
      return graphError(100, "The parameter data is required");
    }
    if (body.data.length > 1000) {
      fake.problem(`data has ${body.data.length} events (limit 1000)`);
      return graphError(100, "Invalid parameter: too many events in data");
    }
    for (let i = 0; i < body.data.length; i++) {
      const err = checkEvent(body.data[i], i, fake);
      if (err) return err;
    }
    const events = body.data as Record<string, unknown>[];
    // Meta has no per-event result: one refused event refuses the whole request.
    if (events.some((e) => fake.poisoned.has(String(e.event_id))))
      return graphError(100, "Invalid parameter", { error_subcode: 2804048 });
    for (const e of events) fake.accepted.push({ id: String(e.event_id), event: e, request: req });
    return { status: 200, body: { events_received: events.length, messages: [], fbtrace_id: "AbCdEf" } };
  };
}

export async function startFakeMeta(opts: FakeMetaOptions = {}): Promise<FakeServer> {
  return new FakeServer("meta", metaHandler(opts)).listen();
}

/** Meta's throttling answer: HTTP 400 with a rate-limit code, no Retry-After. */
export const META_RATE_LIMITED = {
  kind: "answer" as const,
  answer: {
    status: 400,
    body: {
      error: { message: "User request limit reached", type: "OAuthException", code: 17, is_transient: true },
    },
  },
};
