/**
 * The dashboard in real Chromium against the real server (in-process, on loopback): the build
 * the dashboard is served from, one server, one workspace, one page, the page's errors, and
 * signing in. Screenshots go to test-artifacts/ (git-ignored).
 *
 * @example
 * const d = await openDashboard("AB Shop");          // in beforeAll
 * await d.signIn();
 * await d.page.goto(`${d.t.url}/w/${d.ws.id}/experiments`);
 * await d.close();                                   // in afterAll
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { repoRoot } from "../../src/main.js";
import { ADMIN_TOKEN, createWorkspace, startInProcess } from "./server.js";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);
export const artifacts = join(repoRoot(), "test-artifacts");

export interface Dashboard {
  t: Awaited<ReturnType<typeof startInProcess>>;
  ws: Awaited<ReturnType<typeof createWorkspace>>;
  browser: Browser;
  page: Page;
  /** Errors thrown in the page: a test ends by expecting none. */
  pageErrors: string[];
  /** Signs in with the admin token and waits for the workspaces overview. */
  signIn(): Promise<void>;
  close(): Promise<void>;
}

export async function openDashboard(
  workspaceName: string,
  env: Record<string, string> = {},
  viewport = { width: 1440, height: 1000 },
): Promise<Dashboard> {
  // The dashboard is served from the build output (dist/public).
  execFileSync(process.execPath, [join(repoRoot(), "scripts/build.mjs"), "--if-needed"], {
    stdio: "inherit",
  });
  mkdirSync(artifacts, { recursive: true });
  const t = await startInProcess(env);
  const ws = await createWorkspace(t.url, ADMIN_TOKEN, workspaceName);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
  const page = await (await browser.newContext({ viewport })).newPage();
  const pageErrors: string[] = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  return {
    t,
    ws,
    browser,
    page,
    pageErrors,
    async signIn() {
      await page.goto(t.url);
      await page.getByLabel("Admin token").fill(ADMIN_TOKEN);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: workspaceName }).waitFor();
    },
    async close() {
      await browser.close();
      await t.cleanup();
    },
  };
}
