/**
 * The admin token and the encryption key: from the environment, or generated once into the
 * data folder with mode 0600.
 *
 * The admin token is never kept in plain text: a generated one is printed once, on the run
 * that made it, and only its SHA-256 is written (`admin-token.sha256`). A token of 32 random
 * bytes cannot be found from its hash, so a plain hash is enough (no slow KDF needed); one
 * given in `TALLY_ADMIN_TOKEN` is not written anywhere. A plain `admin-token` file left by an
 * older version is replaced by its hash on start (the token itself keeps working).
 */
import { createHash, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Where the generated admin token's hash lives, in the data folder. */
export const ADMIN_TOKEN_HASH_FILE = "admin-token.sha256";
/** The plain-text file of older versions, migrated to the hash on start. */
const LEGACY_ADMIN_TOKEN_FILE = "admin-token";

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, "utf8").trim(), created: false };
  const value = make();
  writeFileSync(file, value + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { value, created: true };
}

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** Writes a file atomically (temp file, then rename), mode 0600. */
function writePrivate(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}

export interface AdminToken {
  /** sha256 hex of the admin token: all the server keeps. */
  hash: string;
  /** The token itself, known only when it came from the environment or was generated just now. */
  token: string | null;
  /** True on the run that generated it (print it then, once). */
  created: boolean;
  /** True when a plain `admin-token` file of an older version was replaced by its hash. */
  migrated: boolean;
}

/** The admin token's hash: from `TALLY_ADMIN_TOKEN`, the data folder, or a new token. */
export function loadAdminToken(dataDir: string, adminToken: string | null): AdminToken {
  if (adminToken) return { hash: sha256(adminToken), token: adminToken, created: false, migrated: false };
  const hashFile = join(dataDir, ADMIN_TOKEN_HASH_FILE);
  const legacy = join(dataDir, LEGACY_ADMIN_TOKEN_FILE);
  if (existsSync(hashFile)) {
    const hash = readFileSync(hashFile, "utf8")
      .trim()
      .replace(/^sha256:/, "");
    if (!/^[0-9a-f]{64}$/.test(hash))
      throw new Error(
        `${hashFile} is not an admin token hash; delete it and start again to generate a new admin token`,
      );
    return { hash, token: null, created: false, migrated: false };
  }
  if (existsSync(legacy)) {
    const hash = sha256(readFileSync(legacy, "utf8").trim());
    writePrivate(hashFile, `sha256:${hash}\n`);
    rmSync(legacy);
    return { hash, token: null, created: false, migrated: true };
  }
  const token = `adm_${randomBytes(32).toString("base64url")}`;
  const hash = sha256(token);
  writeFileSync(hashFile, `sha256:${hash}\n`, { mode: 0o600, flag: "wx" });
  chmodSync(hashFile, 0o600);
  return { hash, token, created: true, migrated: false };
}

export function loadSecrets(
  dataDir: string,
  adminToken: string | null,
  encryptionKey: string | null,
): {
  admin: AdminToken;
  encryptionKey: string;
} {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const admin = loadAdminToken(dataDir, adminToken);
  const key =
    encryptionKey ??
    readOrCreate(join(dataDir, "encryption.key"), () => randomBytes(32).toString("hex")).value;
  return { admin, encryptionKey: key };
}

/** Where the generated encryption key is kept in the data folder (read by the key check's hints). */
export function encryptionKeyFile(dataDir: string): string {
  return join(dataDir, "encryption.key");
}
