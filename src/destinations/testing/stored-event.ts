/**
 * Test-only: a stored event as the ingest pipeline would have written it, with the user data
 * hashed exactly as the normalize step hashes it (so payload tests can check the shared hash
 * vectors end to end), and the shared vectors file.
 */
import { readFileSync } from "node:fs";
import { hashEmail, hashEmailGoogle, hashPhone, hashPhoneMeta } from "@tally/protocol";
import type { HashedUserData } from "../../domain/event.js";
import type { StoredEvent } from "../../storage/storage.js";
import type { PrepareContext } from "../types.js";

export interface HashVector {
  platform: string;
  field: string;
  raw: string;
  country_default?: string;
  normalized: string;
  sha256: string;
}

/** The platforms' hash vectors, kept byte-identical in the repository's test fixtures. */
export const HASH_VECTORS = JSON.parse(
  readFileSync(new URL("../../../test/fixtures/hash-vectors.json", import.meta.url), "utf8"),
) as HashVector[];

export function vectorsOf(platform: string, field: string): HashVector[] {
  return HASH_VECTORS.filter((v) => v.platform === platform && v.field === field);
}

/** User data from raw email / phone, hashed in every form the pipeline stores. */
export function hashedUser(
  raw: { email?: string; phone?: string; country?: string },
  rest: HashedUserData = {},
): HashedUserData {
  const u: HashedUserData = { ...rest };
  if (raw.email !== undefined) {
    u.em = hashEmail(raw.email) ?? undefined;
    u.em_google = hashEmailGoogle(raw.email) ?? undefined;
  }
  if (raw.phone !== undefined) {
    u.ph = hashPhone(raw.phone, raw.country) ?? undefined;
    u.ph_digits = hashPhoneMeta(raw.phone, raw.country) ?? undefined;
  }
  return u;
}

export const NOW = Date.UTC(2026, 10, 29, 14, 33, 31, 123);

export function storedEvent(over: Partial<StoredEvent> = {}): StoredEvent {
  return {
    id: "evt_01jd0000000000000000000000",
    workspaceId: "ws_1",
    eventName: "Purchase",
    eventTime: NOW - 60_000,
    receivedAt: NOW - 59_000,
    eventId: "order-1001",
    orderId: "1001",
    actionSource: "website",
    eventSourceUrl: "https://shop.example/thanks",
    value: 99.99,
    currency: "USD",
    user: hashedUser(
      { email: "Jane.Doe@Example.com", phone: "+1 (415) 555-0100" },
      {
        external_id: "crm-77",
        client_user_agent: "Mozilla/5.0",
        fbp: "fb.1.1.2",
        gclid: "G-1",
        ttclid: "T-1",
        li_fat_id: "L-1",
      },
    ),
    customData: { variant: "B" },
    consent: { ad_user_data: "granted" },
    testEventCode: null,
    ...over,
  };
}

export function ctx(over: Partial<PrepareContext> = {}): PrepareContext {
  return {
    now: NOW,
    userData: true,
    clientIp: "203.0.113.9",
    testEventCode: null,
    dedupId: "order-1001",
    ...over,
  };
}
