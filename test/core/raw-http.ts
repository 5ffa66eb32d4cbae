/**
 * HTTP/1.1 over a plain socket, for what fetch cannot do: send a request in pieces (a body
 * still arriving when SIGTERM lands, headers a byte at a time), pipeline two requests, keep a
 * connection open, and see when the server closes it.
 */
import { connect, type Socket } from "node:net";

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class RawConnection {
  private buf = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  /** Resolves when the server (or we) closed the socket. */
  readonly closed: Promise<void>;
  private isClosed = false;

  private constructor(readonly socket: Socket) {
    socket.on("data", (d: Buffer) => {
      this.buf = Buffer.concat([this.buf, d]);
      this.wake?.();
    });
    // A reset is a close too: the server cut the connection.
    socket.on("error", () => undefined);
    this.closed = new Promise((resolve) =>
      socket.once("close", () => {
        this.isClosed = true;
        this.wake?.();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const s = connect(port, "127.0.0.1", () => resolve(new RawConnection(s)));
      s.once("error", reject);
    });
  }

  get isOpen(): boolean {
    return !this.isClosed;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) =>
      this.socket.write(data, (err) => (err ? reject(err) : resolve())),
    );
  }

  /** The next complete response (Content-Length framed), or null if the socket closed first. */
  async nextResponse(): Promise<RawResponse | null> {
    for (;;) {
      const parsed = this.tryParse();
      if (parsed) return parsed;
      if (this.isClosed) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private tryParse(): RawResponse | null {
    const end = this.buf.indexOf("\r\n\r\n");
    if (end < 0) return null;
    const head = this.buf.subarray(0, end).toString("latin1").split("\r\n");
    const status = Number(head[0]!.split(" ")[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(":");
      headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
    }
    const length = Number(headers["content-length"] ?? 0);
    if (this.buf.length < end + 4 + length) return null;
    const body = this.buf.subarray(end + 4, end + 4 + length).toString("utf8");
    this.buf = this.buf.subarray(end + 4 + length);
    return { status, headers, body };
  }
}

/** The head of a JSON POST with keep-alive; the body is written separately. */
export function postHead(path: string, key: string, bodyLength: number): string {
  return (
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\nAuthorization: Bearer ${key}\r\n` +
    `Content-Type: application/json\r\nContent-Length: ${bodyLength}\r\n\r\n`
  );
}

/**
 * Resolves once the port refuses new connections: the server has begun its shutdown (Fastify
 * flags itself closing and closes the listener together), so what is sent next arrives during it.
 */
export async function untilRefused(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect(port, "127.0.0.1", () => {
        s.destroy();
        resolve(false);
      });
      s.once("error", (err: NodeJS.ErrnoException) => resolve(err.code === "ECONNREFUSED"));
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
