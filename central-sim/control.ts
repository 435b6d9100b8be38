/**
 * A small typed client for the simulator's control endpoint, for tests and benchmarks that run
 * the simulator in another process. Works against the mTLS API listener (give the client
 * identity, e.g. centralClientIdentity(ctx)) or the plain loopback control listener (no TLS).
 */
import { Agent, request } from 'undici';
import type { FaultSet } from './faults.js';
import type { MatchingRunCounts, PopulationEntry } from './matching.js';
import type { Citizen } from './population.js';
import type { CentralSimStats } from './server.js';
import type { JournalEntry } from './store.js';

export interface SimControlTls {
  key: string;
  cert: string;
  ca: string | string[];
}

export interface SimControl {
  stats(options?: { summary?: boolean }): Promise<CentralSimStats>;
  faults(): Promise<FaultSet & { remaining: Record<string, number> }>;
  /** Replaces the faults in force; resolves with the fault state now in force. */
  setFaults(faults: FaultSet): Promise<FaultSet & { remaining: Record<string, number> }>;
  /** Clears every fault; with `data: true` also forgets every record, key, journal entry and counter. */
  reset(options?: { data?: boolean }): Promise<void>;
  journal(query?: { soDinhDanh?: string; maDinhDanh?: string; after?: number; limit?: number }): Promise<JournalEntry[]>;
  /** `POST /__sim/dan-cu`: sets or replaces population entries, or makes ids unknown. */
  setPopulation(change: { congDan?: Citizen[]; xoa?: string[] }): Promise<{ daDat: number; daXoa: number }>;
  /** `GET /__sim/dan-cu?soDinhDanh=…`: the register's entry for an id. */
  population(soDinhDanh: string): Promise<PopulationEntry>;
  /** `POST /__sim/doi-soat/run`: a matching run now (for `ngay`, default today in Vietnam). */
  runMatching(input?: { ngay?: string }): Promise<MatchingRunCounts>;
  close(): Promise<void>;
}

export class SimControlError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'SimControlError';
  }
}

export function simControl(url: string, tls?: SimControlTls): SimControl {
  const base = url.replace(/\/$/, '');
  const dispatcher = new Agent({
    connect: tls ? { key: tls.key, cert: tls.cert, ca: tls.ca } : undefined,
    keepAliveTimeout: 5_000,
  });

  async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
    const res = await request(`${base}${path}`, {
      method,
      dispatcher,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (res.statusCode !== 200) {
      const moTa = (parsed as { moTa?: string } | undefined)?.moTa ?? text;
      throw new SimControlError(`Điều khiển CSDL giả lập thất bại (${res.statusCode}): ${moTa}`, res.statusCode, parsed);
    }
    return parsed as T;
  }

  return {
    stats: (options = {}) => call('GET', `/__sim/stats${options.summary ? '?summary=1' : ''}`),
    faults: () => call('GET', '/__sim/faults'),
    setFaults: (faults) => call('POST', '/__sim/faults', faults),
    reset: async (options = {}) => {
      await call('POST', '/__sim/reset', { data: options.data === true });
    },
    journal: async (query = {}) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
      const qs = params.toString();
      return (await call<{ entries: JournalEntry[] }>('GET', `/__sim/journal${qs ? `?${qs}` : ''}`)).entries;
    },
    setPopulation: (change) => call('POST', '/__sim/dan-cu', change),
    population: (soDinhDanh) => call('GET', `/__sim/dan-cu?soDinhDanh=${encodeURIComponent(soDinhDanh)}`),
    runMatching: (input = {}) => call('POST', '/__sim/doi-soat/run', input),
    close: () => dispatcher.close(),
  };
}
