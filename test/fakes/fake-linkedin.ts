/**
 * A fake LinkedIn Conversions API (platform-apis.md §3): `POST /rest/conversionEvents` with
 * `Authorization: Bearer`, `LinkedIn-Version: YYYYMM`, `X-Restli-Protocol-Version: 2.0.0`,
 * `X-RestLi-Method: BATCH_CREATE` and up to 5000 `elements`, each with a conversion rule URN,
 * `conversionHappenedAt` in epoch ms within 90 days, the amount as a string, `user.userIds`
 * (SHA256_EMAIL as 64-hex). Answers one status per element: 201, or 400/422 for a bad or
 * poisoned element.
 */
import { FakeServer, HEX64, isObject, type FakeAnswer, type FakeRequest } from "./fake-server.js";

const URN = /^urn:lla:llaPartnerConversion:\d+$/;
const ID_TYPES = new Set([
  "SHA256_EMAIL",
  "LINKEDIN_FIRST_PARTY_ADS_TRACKING_UUID",
  "ACXIOM_ID",
  "ORACLE_MOAT_ID",
]);
const DAY_MS = 86_400_000;

export interface FakeLinkedInOptions {
  accessToken?: string;
}

function checkElement(e: unknown): string | null {
  if (!isObject(e)) return "element is not an object";
  if (typeof e.conversion !== "string" || !URN.test(e.conversion))
    return "/conversion must be urn:lla:llaPartnerConversion:{id}";
  const t = e.conversionHappenedAt;
  if (typeof t !== "number" || !Number.isInteger(t) || t < 1e12)
    return "/conversionHappenedAt must be epoch milliseconds";
  if (Date.now() - t > 90 * DAY_MS) return "/conversionHappenedAt is older than 90 days";
  if (e.conversionValue !== undefined) {
    const v = e.conversionValue;
    if (
      !isObject(v) ||
      typeof v.currencyCode !== "string" ||
      typeof v.amount !== "string" ||
      !/^-?\d+(\.\d+)?$/.test(v.amount)
    )
      return "/conversionValue needs currencyCode and amount (a string)";
  }
  if (!isObject(e.user) || !Array.isArray(e.user.userIds))
    return "/user/userIds :: field is required but not found";
  for (const id of e.user.userIds) {
    if (
      !isObject(id) ||
      typeof id.idType !== "string" ||
      !ID_TYPES.has(id.idType) ||
      typeof id.idValue !== "string"
    )
      return "/user/userIds has an invalid entry";
    if (id.idType === "SHA256_EMAIL" && !HEX64.test(id.idValue))
      return "/user/userIds SHA256_EMAIL is not a SHA-256 hex digest";
  }
  if (e.eventId !== undefined && (typeof e.eventId !== "string" || e.eventId.length > 64))
    return "/eventId must be a string of at most 64 characters";
  return null;
}

export function linkedInHandler(opts: FakeLinkedInOptions) {
  return (req: FakeRequest, fake: FakeServer): FakeAnswer => {
    if (req.method !== "POST" || req.path !== "/rest/conversionEvents") {
      fake.problem(`unexpected ${req.method} ${req.path}`);
      return { status: 404, body: { message: "Not Found", status: 404 } };
    }
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1];
    if (!bearer || (opts.accessToken && bearer !== opts.accessToken)) {
      fake.problem("missing or wrong access token");
      return {
        status: 401,
        body: {
          status: 401,
          serviceErrorCode: 65600,
          code: "INVALID_ACCESS_TOKEN",
          message: "Invalid access token",
        },
      };
    }
    if (
      !/^\d{6}$/.test(req.headers["linkedin-version"] ?? "") ||
      req.headers["x-restli-protocol-version"] !== "2.0.0"
    ) {
      fake.problem("LinkedIn-Version or X-Restli-Protocol-Version missing");
      return {
        status: 400,
        body: {
          status: 400,
          message:
            "A version must be present. Please specify a version by adding the LinkedIn-Version header.",
        },
      };
    }
    const body = isObject(req.body) ? req.body : null;
    if (
      req.headers["x-restli-method"] !== "BATCH_CREATE" ||
      !body ||
      !Array.isArray(body.elements) ||
      body.elements.length === 0
    ) {
      fake.problem("a batch needs X-RestLi-Method: BATCH_CREATE and elements");
      return { status: 400, body: { status: 400, message: "Invalid batch request" } };
    }
    if (body.elements.length > 5000) {
      fake.problem(`${body.elements.length} elements (limit 5000)`);
      return { status: 400, body: { status: 400, message: "Too many elements" } };
    }
    const elements = body.elements.map((e: unknown, i: number) => {
      const problem = checkElement(e);
      if (problem) {
        fake.problem(`elements[${i}]: ${problem}`);
        return { status: 422, error: { message: `Index: ${i}, ERROR :: ${problem}`, status: 422 } };
      }
      const el = e as Record<string, unknown>;
      const id = String(el.eventId);
      if (fake.poisoned.has(id))
        return {
          status: 400,
          error: { message: `Index: ${i}, Conversion's method should be CONVERSIONS_API`, status: 400 },
        };
      fake.accepted.push({ id, event: el, request: req });
      return { status: 201 };
    });
    return { status: 200, body: { elements } };
  };
}

export async function startFakeLinkedIn(opts: FakeLinkedInOptions = {}): Promise<FakeServer> {
  return new FakeServer("linkedin", linkedInHandler(opts)).listen();
}
