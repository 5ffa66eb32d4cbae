import { createHash } from "node:crypto";
import { loadConfig } from "../config/config.js";
import { isoTime } from "../domain/time.js";
import { standardActions } from "../domain/workspace.js";
import { newPublicKey, newSecretKey } from "../workspaces/key-format.js";
import { MAX_GRACE_SECONDS, rotateWorkspaceKey } from "../workspaces/key-rotation.js";
import { intFlag } from "./flags.js";
import { openStore } from "../open-store.js";
import type { WorkspacePatch } from "../storage/storage.js";
import { isTimeZone, normalizeOrigin, workspaceJson } from "../http/routes/workspaces.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";

/** How long a running node may cache a key (the directory's default TTL): a rotation waits it out. */
const NODE_KEY_CACHE_MS = 2000;

const USAGE =
  "usage: tally workspace create --name NAME | tally workspace list | tally workspace settings <id> [options] | tally workspace rotate-key <id> --key public|secret [--grace SECONDS]";

/** `tally workspace create|list|settings|rotate-key`: works on the store directly, with the same settings as `serve`. */
export async function workspaceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, [
    "name",
    "currency",
    "timezone",
    "allowed-origins",
    "default-country",
    "consent-default",
    "key",
    "grace",
  ]);
  const store = await openStore(loadConfig(process.env));
  try {
    if (sub === "create") {
      const name = stringFlag(args, "name");
      if (!name) throw new UsageError("workspace create needs --name NAME");
      const currency = (stringFlag(args, "currency") ?? "USD").toUpperCase();
      if (!/^[A-Z]{3}$/.test(currency)) throw new UsageError("--currency must be a 3-letter ISO-4217 code");
      const secretKey = newSecretKey();
      const ws = await store.createWorkspace(
        { name, currency, timezone: stringFlag(args, "timezone") ?? "UTC" },
        {
          publicKey: newPublicKey(),
          secretKeyHash: createHash("sha256").update(secretKey).digest("hex"),
        },
        standardActions(),
      );
      console.log(
        `Workspace ${ws.name} (${ws.id})\n  public key: ${ws.publicKey}\n  secret key: ${secretKey}   (shown once: store it now)`,
      );
      return 0;
    }
    if (sub === "settings") {
      const id = args.positionals[0];
      if (!id)
        throw new UsageError(
          "usage: tally workspace settings <workspace id> [--allowed-origins a,b] [--default-country US] [--consent-default denied|granted] [--name N] [--currency C] [--timezone TZ]",
        );
      const patch: WorkspacePatch = {};
      const name = stringFlag(args, "name");
      if (name) patch.name = name;
      const currency = stringFlag(args, "currency");
      if (currency) {
        if (!/^[A-Za-z]{3}$/.test(currency))
          throw new UsageError("--currency must be a 3-letter ISO-4217 code");
        patch.currency = currency.toUpperCase();
      }
      const tz = stringFlag(args, "timezone");
      if (tz) {
        if (!isTimeZone(tz))
          throw new UsageError("--timezone must be an IANA time zone such as Europe/Paris");
        patch.timezone = tz;
      }
      const origins = stringFlag(args, "allowed-origins");
      if (origins !== undefined) {
        try {
          patch.allowedOrigins =
            origins === "" ? [] : [...new Set(origins.split(",").map((o) => normalizeOrigin(o)))];
        } catch (err) {
          throw new UsageError(`--allowed-origins: ${(err as Error).message}`);
        }
      }
      const country = stringFlag(args, "default-country");
      if (country !== undefined) {
        if (country !== "" && !/^[A-Za-z]{2}$/.test(country))
          throw new UsageError("--default-country must be an ISO-3166 alpha-2 code such as US");
        patch.defaultCountry = country === "" ? null : country.toUpperCase();
      }
      const consent = stringFlag(args, "consent-default");
      if (consent !== undefined) {
        if (consent !== "denied" && consent !== "granted")
          throw new UsageError("--consent-default must be denied or granted");
        patch.consentDefault = consent;
      }
      const ws = await store.updateWorkspace(id, patch);
      if (!ws) throw new UsageError(`no workspace ${id}`);
      console.log(JSON.stringify(workspaceJson(ws), null, 2));
      return 0;
    }
    if (sub === "rotate-key") {
      const id = args.positionals[0];
      const kind = stringFlag(args, "key");
      if (!id || (kind !== "public" && kind !== "secret"))
        throw new UsageError(
          "usage: tally workspace rotate-key <workspace id> --key public|secret [--grace SECONDS] (the old key works that long; default 0, at most 604800 = 7 days)",
        );
      const grace = intFlag(args, "grace", 0, 0, MAX_GRACE_SECONDS);
      const r = await rotateWorkspaceKey({
        store,
        workspaceId: id,
        kind,
        graceSeconds: grace,
        cacheTtlMs: NODE_KEY_CACHE_MS,
      });
      if (!r) throw new UsageError(`no workspace ${id}`);
      console.log(
        `Workspace ${r.workspace.name} (${r.workspace.id})\n  new ${kind} key: ${r.key}${kind === "secret" ? "   (shown once: store it now)" : ""}\n  the old ${kind} key works until ${isoTime(r.oldKeyExpiresAt)}`,
      );
      return 0;
    }
    if (sub === "list") {
      for (const w of await store.listWorkspaces()) console.log(`${w.id}  ${w.name}  ${w.publicKey}`);
      return 0;
    }
    throw new UsageError(USAGE);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`tally: ${err.message}`);
      return 2;
    }
    throw err;
  } finally {
    await store.close();
  }
}
