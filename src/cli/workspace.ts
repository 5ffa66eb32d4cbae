import { createHash } from "node:crypto";
import { loadConfig } from "../config/config.js";
import { newSecret } from "../domain/ids.js";
import { standardActions } from "../domain/workspace.js";
import { openStore } from "../storage/open.js";
import type { WorkspacePatch } from "../storage/storage.js";
import { isTimeZone, normalizeOrigin, workspaceJson } from "../http/routes/workspaces.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";

/** `tally workspace create|list`: works on the store directly, with the same settings as `serve`. */
export async function workspaceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, [
    "name",
    "currency",
    "timezone",
    "allowed-origins",
    "default-country",
    "consent-default",
  ]);
  const store = await openStore(loadConfig(process.env));
  try {
    if (sub === "create") {
      const name = stringFlag(args, "name");
      if (!name) throw new UsageError("workspace create needs --name NAME");
      const currency = (stringFlag(args, "currency") ?? "USD").toUpperCase();
      if (!/^[A-Z]{3}$/.test(currency)) throw new UsageError("--currency must be a 3-letter ISO-4217 code");
      const secretKey = newSecret("sk", 32);
      const ws = await store.createWorkspace(
        { name, currency, timezone: stringFlag(args, "timezone") ?? "UTC" },
        {
          publicKey: newSecret("pk", 18),
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
    if (sub === "list") {
      for (const w of await store.listWorkspaces()) console.log(`${w.id}  ${w.name}  ${w.publicKey}`);
      return 0;
    }
    throw new UsageError(
      "usage: tally workspace create --name NAME | tally workspace list | tally workspace settings <id> [options]",
    );
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
