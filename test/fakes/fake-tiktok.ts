/**
 * A fake TikTok Events API 2.0 (platform-apis.md §4): `POST /open_api/v1.3/event/track/` with
 * `Access-Token`, `event_source`, `event_source_id`, 1…1000 events with `event_time` in unix
 * seconds, hashed `email`/`phone`/`external_id` as 64-hex. Answers HTTP 200 with a `code`
 * even for errors: 40001 (token), 40002 (invalid parameter, poisoned event), 40100 (rate limit).
 */
import { FakeServer, HEX64, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";

const SOURCES = new Set(["web", "app", "offline", "crm"]);

export interface FakeTikTokOptions {
  accessToken?: string;
  pixelCode?: string;
}

const answer = (code: number, message: string): FakeAnswer => ({
  status: 200,
  body: { code, message, request_id: "req-1", data: {} },
});

function checkEvent(e: unknown): string | null {
  if (!isObject(e)) return "event is not an object";
  if (typeof e.event !== "string" || e.event === "") return "event is required";
  if (typeof e.event_time !== "number" || !Number.isInteger(e.event_time) || e.event_time > 1e11)
    return "event_time must be unix seconds";
  if (typeof e.event_id !== "string") return "event_id should be a string";
  if (e.user !== undefined) {
    if (!isObject(e.user)) return "user must be an object";
    for (const f of ["email", "phone", "external_id"]) {
      const v = e.user[f];
      if (v === undefined) continue;
      const values = Array.isArray(v) ? v : [v];
      if (!values.every((x) => typeof x === "string" && HEX64.test(x)))
        return `user.${f} must be SHA-256 hex`;
    }
  }
  return null;
}

export function tiktokHandler(opts: FakeTikTokOptions) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.method !== "POST" || req.path !== "/open_api/v1.3/event/track/") {
      fake.problem(`unexpected ${req.method} ${req.path}`);
      return { status: 404, body: { code: 40400, message: "Not Found" } };
    }
    const token = req.headers["access-token"];
    if (!token || (opts.accessToken && token !== opts.accessToken)) {
      fake.problem("missing or wrong Access-Token");
      return answer(40001, "No permission to operate the pixel or the access token is invalid.");
    }
    const body = isObject(req.body) ? req.body : null;
    if (
      !body ||
      typeof body.event_source !== "string" ||
      !SOURCES.has(body.event_source) ||
      typeof body.event_source_id !== "string"
    ) {
      fake.problem("event_source and event_source_id are required");
      return answer(40002, "event_source and event_source_id are required");
    }
    if (opts.pixelCode && body.event_source_id !== opts.pixelCode)
      return answer(40001, "No permission to operate the pixel.");
    if (!Array.isArray(body.data) || body.data.length === 0 || body.data.length > 1000) {
      fake.problem("data must hold 1 to 1000 events");
      return answer(40002, "data must hold 1 to 1000 events");
    }
    for (let i = 0; i < body.data.length; i++) {
      const p = checkEvent(body.data[i]);
      if (p) {
        fake.problem(`data[${i}]: ${p}`);
        return answer(40002, p);
      }
    }
    const events = body.data as Record<string, unknown>[];
    if (events.some((e) => fake.poisoned.has(String(e.event_id))))
      return answer(40002, "Invalid parameter: properties.value");
    for (const e of events) fake.accepted.push({ id: String(e.event_id), event: e, request: req });
    return answer(0, "OK");
  };
}

export async function startFakeTikTok(opts: FakeTikTokOptions = {}): Promise<FakeServer> {
  return new FakeServer("tiktok", tiktokHandler(opts)).listen();
}

export const TIKTOK_RATE_LIMITED = {
  kind: "answer" as const,
  answer: answer(40100, "Too many requests. Please retry in some time."),
};
