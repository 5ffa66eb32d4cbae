import { randomFillSync } from "node:crypto";

/**
 * CSPRNG bytes drawn from a pool refilled 4 KiB at a time: one call into the generator per
 * 4 KiB instead of one per id or nonce on the ingest path (a `randomBytes(12)` call costs
 * ~6 µs here, most of it the call, not the bytes). Each byte is handed out once; the pool is
 * per thread (module state), as Node's own `randomUUID` pool is.
 */
const pool = Buffer.alloc(4096);
let at = pool.length;

function refill(): void {
  randomFillSync(pool);
  at = 0;
}

/** One random byte. */
export function randomByte(): number {
  if (at >= pool.length) refill();
  return pool[at++]!;
}

/** `n` random bytes (n ≤ 4096) in a new buffer of their own. */
export function pooledRandomBytes(n: number): Buffer {
  if (n > pool.length) throw new RangeError(`at most ${pool.length} pooled bytes at once`);
  if (at + n > pool.length) refill();
  const out = Buffer.allocUnsafe(n);
  pool.copy(out, 0, at, at + n);
  at += n;
  return out;
}
