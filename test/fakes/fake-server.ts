/**
 * The common part of the local fake ad platforms: an HTTP server on loopback that records
 * every request, can be told to misbehave (an answer such as 500 or 429 + Retry-After, a
 * request left hanging, a connection reset) for the next N requests or until told otherwise,
 * and otherwise hands the request to the platform's handler. Each platform fake
 * (fake-meta.ts, …) checks what the real platform checks and records what it accepted.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";

export interface FakeRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Record<string, string>;
  raw: string;
  /** The parsed JSON body, or null. */
  body: unknown;
  at: number;
}

export interface FakeAnswer {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

/** Misbehaviour for a request: an answer of our choosing, no answer at all, or a dropped connection. */
export type Fault = { kind: "answer"; answer: FakeAnswer } | { kind: "hang" } | { kind: "reset" };

/** One event a fake took: its dedup id as the platform sees it, and the event as sent. */
export interface AcceptedEvent {
  id: string;
  event: Record<string, unknown>;
  request: FakeRequest;
}

export type Handler = (req: FakeRequest, fake: FakeServer) => FakeAnswer;

export class FakeServer {
  readonly requests: FakeRequest[] = [];
  readonly accepted: AcceptedEvent[] = [];
  /** What the fake found wrong in requests (the real platform would have refused them). */
  readonly problems: string[] = [];
  /** Dedup ids whose event the platform refuses (per row where the platform can, else the request). */
  readonly poisoned = new Set<string>();
  private readonly script: Fault[] = [];
  private persistent: Fault | null = null;
  private readonly hung: ServerResponse[] = [];
  private readonly sockets = new Set<Socket>();
  url = "";

  constructor(
    readonly name: string,
    private readonly handler: Handler,
    private readonly server: Server = createServer(),
  ) {}

  async listen(): Promise<this> {
    this.server.on("connection", (s: Socket) => {
      this.sockets.add(s);
      s.on("close", () => this.sockets.delete(s));
    });
    this.server.on("request", (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, "127.0.0.1", resolve));
    const addr = this.server.address() as { port: number };
    this.url = `http://127.0.0.1:${addr.port}`;
    return this;
  }

  /** The next `n` requests get `fault`. */
  failNext(n: number, fault: Fault): void {
    for (let i = 0; i < n; i++) this.script.push(fault);
  }

  /** Every request gets `fault` until `up()`. */
  down(fault: Fault = { kind: "answer", answer: { status: 503, body: { error: "down" } } }): void {
    this.persistent = fault;
  }

  up(): void {
    this.persistent = null;
  }

  /** Requests left hanging so far that are still open. */
  get hanging(): number {
    return this.hung.filter((r) => !r.writableEnded && !r.destroyed).length;
  }

  /** Drops every hanging request's connection. */
  releaseHangs(): void {
    for (const r of this.hung.splice(0)) r.destroy();
  }

  /** How many times the fake took an event with this dedup id. */
  countOf(id: string): number {
    return this.accepted.filter((a) => a.id === id).length;
  }

  acceptedIds(): string[] {
    return this.accepted.map((a) => a.id);
  }

  problem(p: string): void {
    this.problems.push(p);
  }

  async close(): Promise<void> {
    this.releaseHangs();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const raw = Buffer.concat(chunks).toString("utf8");
      const u = new URL(req.url ?? "/", "http://fake");
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        body = null;
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers[k] = v;
      const r: FakeRequest = {
        method: req.method ?? "GET",
        path: u.pathname,
        query: u.searchParams,
        headers,
        raw,
        body,
        at: Date.now(),
      };
      this.requests.push(r);
      const fault = this.script.shift() ?? this.persistent;
      if (fault?.kind === "hang") {
        this.hung.push(res);
        return;
      }
      if (fault?.kind === "reset") {
        res.socket?.destroy();
        return;
      }
      const answer = fault?.kind === "answer" ? fault.answer : this.handler(r, this);
      res.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
    });
  }
}

export const HEX64 = /^[a-f0-9]{64}$/;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Waits until `check` holds, polling; throws with `what` after `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
