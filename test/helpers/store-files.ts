/**
 * Reading a live SQLite store's files from a test whose server runs in the same process
 * (`startInProcess`). A descriptor of those files opened and closed here would release every
 * POSIX lock this process holds on them, SQLite's included (the writer's), so the bytes are read
 * by a child process instead, as the server's own erasure search does (wipe-file.ts).
 */
import { execFileSync } from "node:child_process";

const READ = `const fs = require("node:fs");
process.stdout.write(fs.existsSync(process.argv[1]) ? fs.readFileSync(process.argv[1]) : "");`;

/** The file's bytes (empty when it does not exist), read outside this process. */
export function readOutOfProcess(path: string): Buffer {
  return execFileSync(process.execPath, ["-e", READ, path], { maxBuffer: 1024 * 1024 * 1024 });
}
