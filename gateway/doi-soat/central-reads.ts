/**
 * The gateway's client for the two read paths of contract 1.1 (shared/contracts/national/
 * central-api.openapi.yaml): the inventory of what the centre stores per unit and the results of
 * the daily matching against the National Population Database. Same mTLS pool and bearer token
 * as delivery's write client (gateway/delivery/central-client.ts); a failure is a CentralReadError
 * with the contract's code, or a network code, so callers can stop where they are and resume.
 */
import type { AppContext } from '../../core/context.js';
import type { Config } from '../../config/config.js';
import { deriveSecret } from '../../core/secrets.js';
import { centralClientIdentity } from '../../certs/material.js';
import { classifyNetworkError, openCentralPool, type CentralIdentity } from '../delivery/central-client.js';

export interface InventoryLine {
  soDinhDanh: string;
  phienBan: string;
  bam: string;
  maDonVi: string;
  ketQuaDoiSoat?: string;
}

export interface InventoryPage {
  hoSo: InventoryLine[];
  tong: number;
  tiepTheo: string | null;
}

export interface ChenhLech {
  truong: string;
  giaTriHoSo?: unknown;
  giaTriDanCu?: unknown;
}

export interface KetQuaDoiSoat {
  maKetQua: string;
  soDinhDanh: string;
  maDonVi: string;
  ngayDoiSoat: string;
  phienBan: string;
  ketQua: 'KHOP' | 'KHONG_KHOP' | 'KHONG_TIM_THAY';
  chenhLech?: ChenhLech[];
}

export interface MatchingPage {
  ketQua: KetQuaDoiSoat[];
  conNua: boolean;
}

/** A read the centre did not answer (outage, timeout) or refused; `status` absent for network failures. */
export class CentralReadError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'CentralReadError';
  }
}

export interface CentralReads {
  inventory(maDinhDanh: string, cursor?: string | null, limit?: number): Promise<InventoryPage>;
  matchingResults(query: { maDonVi: string; since?: string | null; limit?: number }): Promise<MatchingPage>;
  close(): Promise<void>;
}

/** The bearer token the gateway calls the centre with: configured, or (dev, simulator) the same stand-in runtime.ts derives. */
export function centralToken(config: Config): string {
  return config.centralToken ?? deriveSecret(config, 'central-token').toString('base64url');
}

export async function createCentralReads(ctx: AppContext, options: { identity?: CentralIdentity; timeoutMs?: number } = {}): Promise<CentralReads> {
  const { config } = ctx;
  const identity = options.identity ?? (config.centralUrl.startsWith('https:') ? await centralClientIdentity(ctx) : undefined);
  const timeoutMs = options.timeoutMs ?? config.delivery.requestTimeoutMs;
  const { pool, basePath } = openCentralPool({ url: config.centralUrl, identity, timeoutMs, connections: 2 });
  const token = centralToken(config);

  async function get<T>(path: string, unitCode: string): Promise<T> {
    let status: number;
    let text: string;
    try {
      const res = await pool.request({
        method: 'GET',
        path: basePath + path,
        headers: { accept: 'application/json', authorization: `Bearer ${token}`, 'x-ma-don-vi': unitCode },
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      const c = classifyNetworkError(err) as { code: string; message: string };
      throw new CentralReadError(c.code, c.message);
    }
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (status !== 200) {
      const body = json as { ma?: string; moTa?: string } | undefined;
      throw new CentralReadError(body?.ma ?? `HTTP_${status}`, body?.moTa ?? `CSDL quốc gia trả lời HTTP ${status}`, status);
    }
    if (json === undefined || typeof json !== 'object') throw new CentralReadError('TRA_LOI_KHONG_HOP_LE', 'Câu trả lời của CSDL quốc gia không đọc được', status);
    return json as T;
  }

  return {
    async inventory(maDinhDanh, cursor, limit = 5000) {
      const q = new URLSearchParams({ limit: String(limit) });
      if (cursor) q.set('cursor', cursor);
      const page = await get<InventoryPage>(`/api/v1/units/${encodeURIComponent(maDinhDanh)}/profiles?${q}`, maDinhDanh);
      if (!Array.isArray(page.hoSo)) throw new CentralReadError('TRA_LOI_KHONG_HOP_LE', 'Danh mục hồ sơ của CSDL quốc gia không đọc được');
      return { hoSo: page.hoSo, tong: Number(page.tong ?? page.hoSo.length), tiepTheo: page.tiepTheo ?? null };
    },
    async matchingResults({ maDonVi, since, limit = 1000 }) {
      const q = new URLSearchParams({ maDonVi, limit: String(limit) });
      if (since) q.set('since', since);
      const page = await get<MatchingPage>(`/api/v1/doi-soat?${q}`, maDonVi);
      if (!Array.isArray(page.ketQua)) throw new CentralReadError('TRA_LOI_KHONG_HOP_LE', 'Kết quả đối soát của CSDL quốc gia không đọc được');
      return { ketQua: page.ketQua, conNua: Boolean(page.conNua) };
    },
    async close() {
      await pool.close().catch(() => pool.destroy());
    },
  };
}
