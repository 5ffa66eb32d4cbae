/**
 * One person leaving every kind of trace Tally stores, over real HTTP: a tracking-link click
 * (`/c/{id}`), a click imported through `POST /v1/clicks`, a landing PageView from the server
 * and one from the browser tag (click ids and `utm_*` in `event_source_url` and `custom_data`,
 * a payload long enough to spill into overflow pages), a sign-up linking email, phone and
 * external id, and a purchase. Shared by the SQLite byte-level test and the PostgreSQL one.
 */
import { randomBytes } from "node:crypto";
import { client, nowSeconds, type createWorkspace } from "../helpers/server.js";

type Ws = Awaited<ReturnType<typeof createWorkspace>>;

export interface PlantedPerson {
  anon: string;
  ext: string;
  email: string;
  gclid: string;
  gclidImport: string;
  fbclid: string;
  tallyClick: string;
  userAgent: string;
  ipPrefix: string;
  utmCampaign: string;
  /** The campaigns of the person's three clicks (tracking link, import, landing). */
  campaigns: string[];
  /** Tally's ids of the person's events sent through /v1/events. */
  eventIds: { landing: string; signup: string; purchase: string };
  /**
   * What must be in the store before the erasure and nowhere in it after: the identifiers,
   * click ids (plain and as they sit URL-encoded in stored URLs), the user agent and IP prefix.
   * The store's own forms (hashes, sealed IP) are read from it by each test.
   */
  secrets: string[];
}

const ok = (status: number, what: string, body: unknown) => {
  if (status >= 300) throw new Error(`${what} answered ${status}: ${JSON.stringify(body)}`);
};

/** Plants a person; `ip` and `phone` should be theirs alone (the /24 prefix of `ip` too). */
export async function plantPerson(
  baseUrl: string,
  ws: Ws,
  ip: string,
  phone: string,
): Promise<PlantedPerson> {
  const tag = randomBytes(6).toString("hex");
  const anon = `anon-${tag}`;
  const ext = `crm-${tag}`;
  const email = `Jane.Doe.${tag}@Gmail.com`;
  // Characters that URL-encode, so the encoded form in event_source_url differs from the plain one.
  const gclid = `Cj0KCQ-${tag}/+=x`;
  const gclidImport = `EAIaIQ-${tag}`;
  const fbclid = `IwAR-${tag}`;
  const userAgent = `ErasureTest/${tag} (X11; Linux x86_64)`;
  const ipPrefix = ip.split(".").slice(0, 3).join(".") + ".0";
  const utmCampaign = `spring-${tag}`;
  const now = nowSeconds();

  const link = await ws.api("POST", "/v1/links", {
    destination_url: "https://shop.example/landing",
    platform: "meta",
    campaign: `retarget-${tag}`,
  });
  ok(link.status, "POST /v1/links", link.body);
  // /c/{id} queues its click before answering, so it commits before anything sent after.
  const redirect = await fetch(`${baseUrl}/c/${link.body.id}`, { redirect: "manual" });
  const tallyClick = new URL(redirect.headers.get("location")!).searchParams.get("tally_click")!;

  const imported = await ws.api("POST", "/v1/clicks", {
    data: [{ time: now - 7200, platform: "google", campaign: `brand-${tag}`, gclid: gclidImport, email }],
  });
  ok(imported.status, "POST /v1/clicks", imported.body);

  const landingUrl =
    `https://shop.example/landing?gclid=${encodeURIComponent(gclid)}&fbclid=${fbclid}` +
    `&tally_click=${tallyClick}&utm_source=google&utm_medium=cpc&utm_campaign=${utmCampaign}&page=2`;
  const utm = { utm_source: "google", utm_medium: "cpc", utm_campaign: utmCampaign };
  // Long enough that the stored payload spills into overflow pages.
  const contents = Array.from({ length: 60 }, (_, i) => ({ id: `sku-${i}`, title: "x".repeat(80) }));
  const landing = await ws.api("POST", "/v1/events", {
    data: [
      {
        event_name: "PageView",
        event_time: now - 3600,
        action_source: "website",
        event_source_url: landingUrl,
        user_data: {
          anonymous_id: anon,
          click_id: tallyClick,
          gclid,
          fbclid,
          client_ip_address: ip,
          client_user_agent: userAgent,
        },
        custom_data: { ...utm, gclid, landing_page: landingUrl, contents, visitor: anon },
      },
    ],
  });
  ok(landing.status, "landing PageView", landing.body);

  const beacon = await client(baseUrl)(
    "POST",
    `/t/collect?k=${ws.public_key}`,
    JSON.stringify({
      events: [
        {
          event_name: "PageView",
          event_time: now - 3500,
          event_source_url: landingUrl,
          user_data: { anonymous_id: anon, click_id: tallyClick, fbclid },
          custom_data: utm,
        },
      ],
    }),
    { "content-type": "text/plain", "user-agent": userAgent },
  );
  ok(beacon.status, "POST /t/collect", beacon.body);

  const signup = await ws.api("POST", "/v1/events", {
    data: [
      {
        event_name: "CompleteRegistration",
        event_time: now - 60,
        action_source: "website",
        user_data: {
          anonymous_id: anon,
          external_id: ext,
          email,
          phone,
          client_ip_address: ip,
          client_user_agent: userAgent,
        },
        custom_data: { note: `account ${ext} created` },
      },
    ],
  });
  ok(signup.status, "sign-up", signup.body);

  const purchase = await ws.api("POST", "/v1/events", {
    data: [
      {
        event_name: "Purchase",
        event_time: now - 10,
        event_id: `order-${tag}`,
        action_source: "website",
        user_data: { external_id: ext },
        custom_data: { value: 99.5, currency: "USD", order_id: `order-${tag}` },
      },
    ],
  });
  ok(purchase.status, "purchase", purchase.body);

  return {
    anon,
    ext,
    email,
    gclid,
    gclidImport,
    fbclid,
    tallyClick,
    userAgent,
    ipPrefix,
    utmCampaign,
    campaigns: [`retarget-${tag}`, `brand-${tag}`, utmCampaign],
    eventIds: {
      landing: landing.body.results[0].id,
      signup: signup.body.results[0].id,
      purchase: purchase.body.results[0].id,
    },
    secrets: [
      anon,
      ext,
      gclid,
      encodeURIComponent(gclid),
      gclidImport,
      fbclid,
      tallyClick,
      userAgent,
      ipPrefix,
    ],
  };
}

/** Other traffic around the person (and a bystander whose data must stay). */
export async function plantCrowd(ws: Ws, n: number, tag: string): Promise<void> {
  const now = nowSeconds();
  for (let start = 0; start < n; start += 500) {
    const data = Array.from({ length: Math.min(500, n - start) }, (_, j) => {
      const i = start + j;
      return {
        event_name: i % 3 === 0 ? "Lead" : "PageView",
        event_time: now - 100 - (i % 50),
        action_source: "website",
        event_source_url: `https://shop.example/p/${i}?utm_source=news&gclid=crowd-${tag}-${i}`,
        user_data: { anonymous_id: `crowd-${tag}-${i}`, gclid: `crowd-${tag}-${i}` },
        custom_data: { utm_source: "news", utm_campaign: "weekly", pad: "y".repeat(i % 300) },
      };
    });
    const res = await ws.api("POST", "/v1/events", { data });
    ok(res.status, "crowd", res.body);
  }
}
