/** A `ws` client for live-feed tests: collects messages, waits for them, and reads refusals. */
import WebSocket from "ws";

/** Tests read message fields freely; the shape is what they check. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- as in test/helpers/server.ts
type Loose = any;

export interface LiveMessage {
  type: string;
  data: Record<string, Loose>;
}

export interface LiveClient {
  ws: WebSocket;
  messages: LiveMessage[];
  /** Resolves with the first message (already received or future) matching `pred`. */
  waitFor(pred: (m: LiveMessage) => boolean, what: string, timeoutMs?: number): Promise<LiveMessage>;
  closed: Promise<{ code: number; reason: string }>;
  close(): void;
}

export class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly body: Loose,
  ) {
    super(`refused with ${status}`);
  }
}

/** Opens a subscription; rejects with a `Refusal` when the server answers the handshake with an error. */
export function connectLive(
  url: string,
  opts: { protocols?: string[]; headers?: Record<string, string> } = {},
): Promise<LiveClient> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, opts.protocols ?? [], { headers: opts.headers });
    const messages: LiveMessage[] = [];
    const waiters: { pred: (m: LiveMessage) => boolean; resolve: (m: LiveMessage) => void }[] = [];
    const closed = new Promise<{ code: number; reason: string }>((r) =>
      ws.on("close", (code, reason) => r({ code, reason: reason.toString() })),
    );
    ws.on("message", (raw: Buffer) => {
      const m = JSON.parse(raw.toString("utf8")) as LiveMessage;
      messages.push(m);
      for (let i = waiters.length - 1; i >= 0; i--) {
        if (waiters[i]!.pred(m)) {
          waiters[i]!.resolve(m);
          waiters.splice(i, 1);
        }
      }
    });
    ws.on("unexpected-response", (_req, res) => {
      let text = "";
      res.on("data", (c: Buffer) => (text += c.toString()));
      res.on("end", () => {
        let body: unknown = text;
        try {
          body = JSON.parse(text);
        } catch {
          // not JSON
        }
        reject(new Refusal(res.statusCode ?? 0, body));
      });
    });
    ws.on("error", (err) => reject(err));
    ws.on("open", () =>
      resolve({
        ws,
        messages,
        closed,
        close: () => ws.close(),
        waitFor(pred, what, timeoutMs = 10_000) {
          const hit = messages.find(pred);
          if (hit) return Promise.resolve(hit);
          return new Promise((res, rej) => {
            const t = setTimeout(() => rej(new Error(`no live message: ${what}`)), timeoutMs);
            waiters.push({
              pred,
              resolve: (m) => {
                clearTimeout(t);
                res(m);
              },
            });
          });
        },
      }),
    );
  });
}

/** The refusal a handshake got (fails the test when the connection was accepted). */
export async function refusalOf(p: Promise<LiveClient>): Promise<Refusal> {
  try {
    const c = await p;
    c.close();
  } catch (err) {
    if (err instanceof Refusal) return err;
    throw err;
  }
  throw new Error("the live feed accepted a connection it should have refused");
}
