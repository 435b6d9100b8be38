/**
 * Concurrent requests per connection key, counted on this node only: a slot is held for the
 * lifetime of one request on one process, and sharing that through Redis would cost two round
 * trips per request and leave slots stuck whenever a node dies. With N nodes behind a balancer a
 * key can therefore hold up to N × max requests in flight in total.
 */
import { GatewayError } from '../../core/errors.js';

export class ConcurrencySlots {
  private readonly inFlight = new Map<string, number>();

  /** Takes a slot; the returned function gives it back (calling it twice is harmless). */
  acquire(keyId: string, max: number): () => void {
    const current = this.inFlight.get(keyId) ?? 0;
    if (current >= max) {
      throw new GatewayError('QUA_NHIEU_YEU_CAU_DONG_THOI', {}, `key ${keyId}: ${current} requests in flight, limit ${max} per node`);
    }
    this.inFlight.set(keyId, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const n = (this.inFlight.get(keyId) ?? 1) - 1;
      if (n <= 0) this.inFlight.delete(keyId);
      else this.inFlight.set(keyId, n);
    };
  }

  inFlightFor(keyId: string): number {
    return this.inFlight.get(keyId) ?? 0;
  }

  /** Total requests in flight on this node, all keys. */
  total(): number {
    let sum = 0;
    for (const n of this.inFlight.values()) sum += n;
    return sum;
  }
}
