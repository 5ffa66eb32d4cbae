// Node-only test support for the tag (never bundled): a stand-in collector that serves tally.js
// and records what /t/collect receives, a site on another origin, and the system Chromium.

import { existsSync } from "node:fs";
import { createServer } from "node:http";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { chromium } from "playwright-core";
import type { Browser } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Launches the system Chromium (never a downloaded one). */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** One event as the collector received it (loosely typed: tests assert on it). */
export type SentEvent = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface CollectRequest {
  key: string | null;
  contentType: string | undefined;
  origin: string | undefined;
  body: { k?: string; events: SentEvent[] };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (s += c));
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });
}

type Maybe<T> = T | undefined | null | false | "";

/** Polls until `probe` returns (or resolves to) something truthy. */
export async function waitFor<T>(
  probe: () => Maybe<T> | Promise<Maybe<T>>,
  what: string,
  ms = 5000,
): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface Collector {
  url: string;
  requests: CollectRequest[];
  /** Every event received, in arrival order. */
  events(): SentEvent[];
  /**
   * Answers the next `n` collect requests with `status` instead of 204 — only those `only`
   * accepts, when given, so a late request of an earlier test's page cannot use them up.
   */
  fail(n: number, status: number, only?: (body: CollectRequest["body"]) => boolean): void;
  waitForEvent(match: (e: SentEvent) => boolean, what: string, ms?: number): Promise<SentEvent>;
  close(): Promise<void>;
}

/** Serves `code` at /t/tally.js and answers /t/collect like the Tally server: 204 with CORS. */
export async function startCollector(code: string): Promise<Collector> {
  const requests: CollectRequest[] = [];
  let failing = 0;
  let failStatus = 503;
  let failOnly: ((body: CollectRequest["body"]) => boolean) | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const u = new URL(req.url ?? "/", "http://x");
    const origin = req.headers.origin;
    if (origin) res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Vary", "Origin");
    if (u.pathname === "/t/tally.js") {
      res.writeHead(200, { "Content-Type": "application/javascript", "Cache-Control": "no-store" }).end(code);
    } else if (u.pathname === "/t/collect" && req.method === "OPTIONS") {
      res
        .writeHead(204, {
          "Access-Control-Allow-Methods": "POST",
          "Access-Control-Allow-Headers": "Content-Type",
        })
        .end();
    } else if (u.pathname === "/t/collect" && req.method === "POST") {
      void readBody(req).then((text) => {
        const body = JSON.parse(text) as CollectRequest["body"];
        if (failing > 0 && (!failOnly || failOnly(body))) {
          failing--;
          res.writeHead(failStatus).end();
          return;
        }
        requests.push({
          key: u.searchParams.get("k"),
          contentType: req.headers["content-type"],
          origin,
          body,
        });
        res.writeHead(204).end();
      });
    } else res.writeHead(404).end();
  });
  const url = await listen(server);
  const events = (): SentEvent[] => requests.flatMap((r) => r.body.events);
  return {
    url,
    requests,
    events,
    fail(n, status, only) {
      failing = n;
      failStatus = status;
      failOnly = only;
    },
    waitForEvent: (match, what, ms) => waitFor(() => events().find(match), what, ms),
    close: () => close(server),
  };
}

export interface Site {
  url: string;
  /** Serves `html` at `path` (any query string). */
  page(path: string, html: string): string;
  close(): Promise<void>;
}

/** A site on its own origin (another port), so collection is cross-origin as in production. */
export async function startSite(): Promise<Site> {
  const pages = new Map<string, string>();
  const server = createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? "/", "http://x").pathname);
    if (html === undefined) res.writeHead(404).end();
    else
      res
        .writeHead(200, { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" })
        .end(html);
  });
  const url = await listen(server);
  return {
    url,
    page(path, html) {
      pages.set(path, html);
      return url + path;
    },
    close: () => close(server),
  };
}

/** A page with the API.md snippet: the async tag, the queueing stub, then `head` and `body`. */
export function tagPage(
  tagSrc: string,
  {
    attrs = "",
    before = "",
    head = "",
    body = "",
  }: { attrs?: string; before?: string; head?: string; body?: string } = {},
): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>shop</title><link rel="icon" href="data:,">
${before}
<script async src="${tagSrc}" data-key="pk_test" ${attrs}></script>
<script>window.tally=window.tally||function(){(tally.q=tally.q||[]).push(arguments)};</script>
${head}
</head><body>${body}</body></html>`;
}
