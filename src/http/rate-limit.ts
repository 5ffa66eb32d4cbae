/**
 * A token bucket per key (a key, a client address), in memory: `rate` requests a second,
 * bursts up to `burst`. The buckets live in an LRU bounded by entries and bytes: a bucket
 * left alone until it is full again is forgotten (a new one starts full, so nothing changes),
 * and when the bound is reached the least recently used bucket goes, never the whole map.
 */
import { LRUCache } from "lru-cache";

interface Bucket {
  tokens: number;
  at: number;
}

export interface RateLimiterOptions {
  /** Tokens added per second. */
  rate: number;
  /** Most tokens a bucket holds (default: two seconds' worth). */
  burst?: number;
  /** Most buckets kept (default 100,000). */
  maxEntries?: number;
  /** Most bytes of keys and buckets kept, estimated (default 16 MiB). */
  maxBytes?: number;
}

/** Estimated bytes of one bucket beside its key: the object, two numbers, LRU bookkeeping. */
const BUCKET_BYTES = 64;

export class RateLimiter {
  private readonly buckets: LRUCache<string, Bucket>;
  readonly rate: number;
  readonly burst: number;

  constructor(opts: RateLimiterOptions | number) {
    const o = typeof opts === "number" ? { rate: opts } : opts;
    this.rate = o.rate;
    this.burst = o.burst ?? o.rate * 2;
    this.buckets = new LRUCache<string, Bucket>({
      max: o.maxEntries ?? 100_000,
      maxSize: o.maxBytes ?? 16 * 1024 * 1024,
      sizeCalculation: (_b, key) => key.length * 2 + BUCKET_BYTES,
      // An idle bucket is full again after burst / rate seconds: forgetting it then is free.
      ttl: Math.max(1000, Math.ceil((this.burst / this.rate) * 1000)),
      ttlAutopurge: false,
    });
  }

  /** 0 when allowed; otherwise the whole seconds to wait (for `Retry-After`). */
  take(key: string, now = Date.now()): number {
    let b = this.buckets.get(key);
    if (!b) b = { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (Math.max(0, now - b.at) / 1000) * this.rate);
    b.at = now;
    let wait = 0;
    if (b.tokens >= 1) b.tokens -= 1;
    else wait = Math.max(1, Math.ceil((1 - b.tokens) / this.rate));
    this.buckets.set(key, b); // refreshes its recency and its time to live
    return wait;
  }

  /** Buckets held, and their estimated bytes (tests, metrics). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.buckets.size, bytes: this.buckets.calculatedSize };
  }
}
