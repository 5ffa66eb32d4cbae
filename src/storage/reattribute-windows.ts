/**
 * The windows `reattribute` runs with, gathered before its transaction (both backends):
 * each workspace's conversion actions, as `windowsOf` answers for them.
 */
import type { WindowsByWorkspace } from "../commit/tx.js";
import type { Store, WindowsOf } from "./storage.js";

export async function windowsFor(
  reader: Pick<Store, "listWorkspaces" | "listConversionActions">,
  workspaceId: string | null,
  windowsOf: WindowsOf,
): Promise<WindowsByWorkspace> {
  const windows: WindowsByWorkspace = {};
  const workspaces = workspaceId ? [workspaceId] : (await reader.listWorkspaces()).map((w) => w.id);
  for (const ws of workspaces) {
    const byName: WindowsByWorkspace[string] = {};
    for (const a of await reader.listConversionActions(ws)) {
      const w = await windowsOf(ws, a.name);
      if (w) byName[a.name] = w;
    }
    windows[ws] = byName;
  }
  return windows;
}
