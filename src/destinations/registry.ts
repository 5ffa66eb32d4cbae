/**
 * What the destination endpoints (`http/routes/destinations.ts`) need of the running
 * forwarding: opened configs, the changes this node made, a wake-up after a replay, and the
 * endpoint policy every configured URL must pass.
 */
import type { DestinationRecord } from "../storage/storage.js";
import type { DestinationConfig } from "./config-schema.js";
import type { EndpointPolicy } from "./endpoint-policy.js";

export interface DestinationRegistry {
  /** Opens a stored config (null when it no longer parses). */
  configOf(record: DestinationRecord): DestinationConfig | null;
  added(record: DestinationRecord, config: DestinationConfig): void;
  removed(id: string): void;
  /** Due rows were written for this destination (replay). */
  wake(id: string): void;
  /** Outbound URLs of a config are checked against it before the config is stored. */
  readonly policy: EndpointPolicy;
}
