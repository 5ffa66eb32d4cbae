// Builds a large embedded store directly (better-sqlite3, the schema of the built
// dist/src/storage/sqlite/schema.js applied by the server's own migrate()): one workspace,
// many persons each with an anonymous id, and millions of touches spread over them. The
// server can then be started on the folder, and the built modules can read it.
import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import { join } from "node:path";
import { ROOT } from "./server.mjs";

const dist = (p) => import(join(ROOT, "dist/src", p));
const { openDatabase, migrate } = await dist("storage/sqlite/migrate.js");
const { SqliteWrites } = await dist("storage/sqlite/sqlite-writes.js");
const { MIGRATIONS } = await dist("storage/sqlite/schema.js");
const { standardActions } = await dist("domain/workspace.js");

const DAY_MS = 86_400_000;
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const PLATFORMS = ["google", "meta", "tiktok", "microsoft", "linkedin"];
const CAMPAIGNS = ["Brand", "Generic", "Retargeting", "Prospecting"];
const ADS = ["a", "b", "c"];

/** An id of the server's shape (prefix + 26 base32 characters) that sorts like `n`. */
export function sortableId(prefix, n) {
  let s = "";
  for (let i = 0; i < 26; i++) {
    s = ALPHABET[n % 32] + s;
    n = Math.floor(n / 32);
  }
  return `${prefix}_${s}`;
}

export const personId = (i) => sortableId("p", i);
/** The anonymous_id that identifies person `i` (events carry it to be attributed to that person). */
export const ANON_PREFIX = "bench-a-";
export const anonymousIdOf = (i) => `${ANON_PREFIX}${String(i).padStart(8, "0")}`;

/** A touch count drawn from a geometric distribution with the given mean (a long tail, like real people). */
function geometric(mean) {
  const p = 1 / (1 + mean);
  return Math.floor(Math.log(1 - Math.random()) / Math.log(1 - p));
}

/**
 * Inserts rows many per statement: at millions of rows, one statement call per row costs
 * more than the row itself.
 */
function bulkInserter(db, table, columns, rowsPerStatement = 50) {
  const row = `(${columns.map(() => "?").join(", ")})`;
  const many = db.prepare(
    `INSERT INTO ${table} (${columns.join(", ")}) VALUES ${Array(rowsPerStatement).fill(row).join(", ")}`,
  );
  const one = db.prepare(`INSERT INTO ${table} (${columns.join(", ")}) VALUES ${row}`);
  const full = rowsPerStatement * columns.length;
  let pending = [];
  const flush = () => {
    if (pending.length === full) many.run(pending);
    else
      for (let i = 0; i < pending.length; i += columns.length) one.run(pending.slice(i, i + columns.length));
    pending = [];
  };
  return {
    add(...values) {
      pending.push(...values);
      if (pending.length === full) flush();
    },
    flush,
  };
}

export class TouchStore {
  /** Creates the store in `dataDir` with one workspace; returns its ids and secret key. */
  static create(dataDir, persons) {
    const path = join(dataDir, "tally.db");
    const db = openDatabase(path, "normal");
    migrate(db);
    const writer = new SqliteWrites(db, { onWorkspaceChanged() {}, onDestinationsChanged() {} });
    const secretKey = `sk_bench_${randomBytes(24).toString("base64url")}`;
    const ws = writer.createWorkspace(
      { name: "Bench", currency: "USD", timezone: "UTC" },
      {
        publicKey: `pk_bench_${randomBytes(12).toString("base64url")}`,
        secretKeyHash: createHash("sha256").update(secretKey).digest("hex"),
      },
      standardActions(),
    );
    db.close();
    const store = new TouchStore(path, ws.id, secretKey, persons);
    store.insertIdentities();
    return store;
  }

  constructor(path, workspaceId, secretKey, persons) {
    this.path = path;
    this.workspaceId = workspaceId;
    this.secretKey = secretKey;
    this.persons = persons;
    this.touches = 0;
    this.now = Date.now();
    this.schemaVersion = MIGRATIONS.at(-1).version;
  }

  open() {
    const db = new Database(this.path);
    migrate(db); // a no-op: the store is at the server's schema
    // Bulk loading without journal or sync (a crash here only loses the benchmark's data);
    // close() puts the store back in WAL mode, as the server keeps it.
    db.pragma("journal_mode = OFF");
    db.pragma("synchronous = OFF");
    db.pragma("locking_mode = EXCLUSIVE");
    db.pragma("cache_size = -262144");
    return db;
  }

  close(db) {
    db.pragma("journal_mode = WAL");
    db.close();
  }

  insertIdentities() {
    const db = this.open();
    const ins = bulkInserter(db, "identities", ["workspace_id", "ident", "person"]);
    const chunk = db.transaction((from, to) => {
      for (let i = from; i < to; i++)
        ins.add(this.workspaceId, `anonymous_id:${anonymousIdOf(i)}`, personId(i));
      ins.flush();
    });
    for (let i = 0; i < this.persons; i += 100_000) chunk(i, Math.min(this.persons, i + 100_000));
    this.close(db);
  }

  /**
   * Adds touches until the store holds `total`, person by person in id order (so the indexes
   * grow at their ends and the load stays fast), each person a geometric number of them with
   * the mean that reaches the total; clicks and impressions over the last 90 days.
   */
  grow(total, onProgress = () => {}) {
    const db = this.open();
    const ins = bulkInserter(db, "touches", [
      "seq",
      "id",
      "workspace_id",
      "kind",
      "time",
      "platform",
      "campaign",
      "ad",
      "click_id",
      "person",
      "received_at",
    ]);
    const add = (person) => {
      const seq = ++this.touches;
      const click = Math.random() < 0.8;
      ins.add(
        seq,
        sortableId("tch", seq),
        this.workspaceId,
        click ? "click" : "impression",
        this.now - Math.floor(Math.random() * 90 * DAY_MS),
        PLATFORMS[seq % PLATFORMS.length],
        CAMPAIGNS[(seq >> 3) % CAMPAIGNS.length],
        ADS[seq % ADS.length],
        click ? `gclid:bench${String(seq).padStart(10, "0")}` : null,
        person,
        this.now,
      );
    };
    const mean = (total - this.touches) / this.persons;
    const batch = db.transaction((from, to) => {
      for (let i = from; i < to && this.touches < total; i++) {
        const p = personId(i);
        for (let k = geometric(mean); k > 0 && this.touches < total; k--) add(p);
      }
      ins.flush();
    });
    const step = 20_000;
    for (let i = 0; i < this.persons && this.touches < total; i += step) {
      batch(i, Math.min(this.persons, i + step));
      onProgress(this.touches);
    }
    // The tail of the distribution left a few short: give them to random people.
    db.transaction(() => {
      while (this.touches < total) add(personId(Math.floor(Math.random() * this.persons)));
      ins.flush();
    })();
    onProgress(this.touches);
    this.close(db);
  }
}
