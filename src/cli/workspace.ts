import { createHash } from "node:crypto";
import { loadConfig } from "../config/config.js";
import { newSecret } from "../domain/ids.js";
import { standardActions } from "../domain/workspace.js";
import { openStore } from "../storage/open.js";
import { parseArgs, stringFlag, UsageError } from "./args.js";

/** `tally workspace create|list`: works on the store directly, with the same settings as `serve`. */
export async function workspaceCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, ["name", "currency", "timezone"]);
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
        { publicKey: newSecret("pk", 18), secretKeyHash: createHash("sha256").update(secretKey).digest("hex") },
        standardActions(),
      );
      console.log(`Workspace ${ws.name} (${ws.id})\n  public key: ${ws.publicKey}\n  secret key: ${secretKey}   (shown once: store it now)`);
      return 0;
    }
    if (sub === "list") {
      for (const w of await store.listWorkspaces()) console.log(`${w.id}  ${w.name}  ${w.publicKey}`);
      return 0;
    }
    throw new UsageError("usage: tally workspace create --name NAME | tally workspace list");
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
