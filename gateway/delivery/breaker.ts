/**
 * Circuit breaker in front of the central database. After `threshold` consecutive retryable
 * failures (network errors, timeouts, 5xx, 429/503) it opens: no synchronous attempts and no
 * queue processing for `openMs`, so a central database that is down is not hammered by every
 * accepted record and every queued job. Then it lets exactly one probe through (half-open); the
 * probe's result closes it or opens it again. Final answers (2xx, 4xx) count as "the central
 * database is up".
 *
 * The state is per process; a snapshot is written to the `settings` table so `ndxp queue status`
 * (another process) can show every node's breaker.
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

export interface BreakerSnapshot {
  node: string;
  state: BreakerState;
  consecutiveFailures: number;
  openedAt?: number;
  /** When the next probe may go out (open state). */
  probeAt?: number;
  lastError?: string;
  updatedAt: number;
}

export class CircuitBreaker {
  private state: BreakerState = 'closed';
  private failures = 0;
  private openedAt?: number;
  private probeAt = 0;
  private probeInFlight = false;
  private lastError?: string;

  constructor(
    private readonly node: string,
    private readonly threshold: number,
    private readonly openMs: number,
    private readonly onChange: (snapshot: BreakerSnapshot) => void = () => undefined,
    private readonly clock: () => number = Date.now,
  ) {}

  /** True when a call may go out now; in half-open, true for the single probe only (the caller must then report success or failure). */
  tryAcquire(): boolean {
    if (this.state === 'closed') return true;
    if (this.state === 'open' && this.clock() >= this.probeAt) {
      this.state = 'half-open';
      this.probeInFlight = false;
      this.emit();
    }
    if (this.state === 'half-open' && !this.probeInFlight) {
      this.probeInFlight = true;
      return true;
    }
    return false;
  }

  /** True when calls are being held back (open, or half-open with its probe out). */
  get blocking(): boolean {
    if (this.state === 'closed') return false;
    if (this.state === 'open') return this.clock() < this.probeAt;
    return this.probeInFlight;
  }

  /** When a held-back call should look again. */
  retryAt(): number {
    return this.state === 'open' ? this.probeAt : this.clock() + Math.min(this.openMs, 1000);
  }

  /** The central database gave an answer (2xx or a final 4xx). */
  success(): void {
    const changed = this.state !== 'closed' || this.failures > 0;
    this.state = 'closed';
    this.failures = 0;
    this.probeInFlight = false;
    this.openedAt = undefined;
    if (changed) this.emit();
  }

  /** A retryable failure (network, timeout, 5xx, 429, 503). */
  failure(error: string, retryAfterMs?: number): void {
    this.failures += 1;
    this.lastError = error;
    this.probeInFlight = false;
    if (this.state === 'half-open' || this.failures >= this.threshold) {
      const now = this.clock();
      this.state = 'open';
      this.openedAt ??= now;
      // The central database asking for a longer pause wins over our own open time.
      this.probeAt = now + Math.max(this.openMs, retryAfterMs ?? 0);
      this.emit();
    }
  }

  /** Gives back a probe slot that was acquired but not used (e.g. nothing to send after all). */
  release(): void {
    this.probeInFlight = false;
  }

  snapshot(): BreakerSnapshot {
    return {
      node: this.node,
      state: this.state === 'open' && this.clock() >= this.probeAt ? 'half-open' : this.state,
      consecutiveFailures: this.failures,
      openedAt: this.openedAt,
      probeAt: this.state === 'open' ? this.probeAt : undefined,
      lastError: this.lastError,
      updatedAt: this.clock(),
    };
  }

  private emit(): void {
    this.onChange(this.snapshot());
  }
}
