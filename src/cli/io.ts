/**
 * What a command reads and writes besides its arguments: the environment and the two output
 * streams. Commands take it as a parameter so tests can run them in-process and read what
 * they printed; `tally` itself passes the real process's.
 */
import type { Writable } from "node:stream";

export interface CliIo {
  env: Record<string, string | undefined>;
  stdout: Writable;
  /** Progress bars draw here; `isTTY` decides between a redrawn bar and plain lines. */
  stderr: Writable & { isTTY?: boolean; columns?: number };
}

export function processIo(): CliIo {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr };
}

/** Writes a line to a stream. */
export function println(stream: Writable, line = ""): void {
  stream.write(line + "\n");
}
