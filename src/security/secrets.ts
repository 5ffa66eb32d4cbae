/**
 * The admin token and the encryption key: from the environment, or generated once into the
 * data folder with mode 0600. The admin token is printed only when it is generated.
 */
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

function readOrCreate(file: string, make: () => string): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, "utf8").trim(), created: false };
  const value = make();
  writeFileSync(file, value + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(file, 0o600);
  return { value, created: true };
}

export function loadSecrets(
  dataDir: string,
  adminToken: string | null,
  encryptionKey: string | null,
): {
  adminToken: string;
  adminTokenCreated: boolean;
  encryptionKey: string;
} {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const admin = adminToken
    ? { value: adminToken, created: false }
    : readOrCreate(join(dataDir, "admin-token"), () => `adm_${randomBytes(32).toString("base64url")}`);
  const key =
    encryptionKey ??
    readOrCreate(join(dataDir, "encryption.key"), () => randomBytes(32).toString("hex")).value;
  return { adminToken: admin.value, adminTokenCreated: admin.created, encryptionKey: key };
}

/** Where the generated encryption key is kept in the data folder (read by the key check's hints). */
export function encryptionKeyFile(dataDir: string): string {
  return join(dataDir, "encryption.key");
}
