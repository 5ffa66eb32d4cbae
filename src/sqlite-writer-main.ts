/**
 * The SQLite writer thread's main, as main.ts is the server's: it wires the commit core into
 * the writer (storage/sqlite never imports the core). SqliteStore starts it as a worker.
 */
import { commitCore } from "./commit/index.js";
import { runWriterThread } from "./storage/sqlite/sqlite-writer-worker.js";

runWriterThread(commitCore);
