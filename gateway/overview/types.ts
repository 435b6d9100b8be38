/**
 * What the Overview answers (GET /api/v1/admin/overview), in a module of types only: the admin
 * console imports them (type-only) without pulling in what computes them.
 */
import type { DeadLetter, QueueStatus } from '../delivery/status.js';

export interface CentralProbe {
  reachable: boolean;
  checkedAt: string;
  /** Handshake time. */
  latencyMs?: number;
  /** When unreachable: the catalogue's code and message, and what the socket said. */
  code?: string;
  message?: string;
  detail?: string;
}

export interface Series {
  /** Bucket starts, epoch ms. */
  buckets: number[];
  /** One count per bucket for each name (front id or unit code). */
  series: Record<string, number[]>;
}

export interface Overview {
  generatedAt: string;
  from: string;
  to: string;
  bucketMinutes: number;
  traffic: { perFront: Series; perUnit: Series; total: number };
  refusals: { code: string; count: number }[];
  latency: { buckets: number[]; p50: (number | null)[]; p95: (number | null)[]; p99: (number | null)[]; overall: { p50: number | null; p95: number | null; p99: number | null; samples: number } };
  queue: QueueStatus;
  deadLetters: { count: number; latest: DeadLetter[] };
  expiring: {
    withinDays: number;
    certificates: { serial: string; kind: string; cn: string; unit?: string; notAfter: string; daysLeft: number }[];
    keys: { keyId: string; softwareId: string; unitCode: string; expiresAt: string; daysLeft: number }[];
  };
  central: CentralProbe;
}
