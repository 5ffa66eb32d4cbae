/** What the HTTP layer is given. `main.ts` builds it; tests build it with real parts. */
import type { Logger } from "pino";
import type { Bus } from "../bus.js";
import type { DestinationRegistry } from "../destinations/registry.js";
import type { PromMetrics } from "../monitoring/prometheus.js";
import type { Config } from "../config/config.js";
import type { IngestPipeline } from "../pipeline/ingest-pipeline.js";
import type { LinkResolver } from "../pipeline/link-resolver.js";
import type { TouchPipeline } from "../pipeline/touch-pipeline.js";
import type { LiveFeed } from "../realtime/live.js";
import type { Cipher } from "../security/cipher.js";
import type { Store } from "../storage/storage.js";
import type { WorkspaceDirectory } from "../workspaces/directory.js";
import type { Auth } from "./auth.js";
import type { RateLimiter } from "./rate-limit.js";
import type { Readiness } from "./readiness.js";

export interface AppDeps {
  config: Config;
  store: Store;
  bus: Bus;
  pipeline: IngestPipeline;
  /** Touches on their own: imports and tracking-link clicks. */
  touches: TouchPipeline;
  directory: WorkspaceDirectory;
  links: LinkResolver;
  cipher: Cipher;
  auth: Auth;
  logger: Logger;
  prom: PromMetrics;
  readiness: Readiness;
  /** Folder with the built browser tag and dashboard (dist/public). */
  publicDir: string;
  /** Per-client limit on /t/* and /c/* (TALLY_RATE_LIMIT_PER_IP); absent or null: off. */
  clientLimiter?: RateLimiter | null;
  /**
   * The live feed (`GET /v1/live`, `GET /v1/test-events`); logout closes this node's sockets its
   * session opened (other nodes re-check). Absent: those routes are not served.
   */
  live?: LiveFeed;
  /** The running forwarding's registry (the destination endpoints); absent: not served. */
  destinations?: DestinationRegistry;
  /** Called when this node changed destinations, so routing caches refresh. */
  onDestinationsChanged?: (workspaceId: string) => void;
}
