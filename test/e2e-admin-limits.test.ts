/**
 * Every admin route that takes a body enforces its own size limit, over real TLS with an admin
 * certificate: one byte over the limit is refused with 413 as a JSON problem naming the limit,
 * and a body of exactly the limit is read (whatever the route then thinks of its content).
 * Before, one 10 MB parser in front of all routes read every body first, so the 1 MB / 16 kB /
 * 64 kB limits never applied and the 20 MB / 100 MB uploads were refused at 10 MB.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness, type TlsClient } from './helpers/gateway.js';

let h: Harness;
let admin: TlsClient;
let auditor: TlsClient;

const KB = 1024;
const MB = 1024 * 1024;

interface RouteLimit {
  method: 'POST' | 'PUT';
  path: string;
  limit: number;
  /** How the refusal names the limit. */
  shown: string;
  contentType?: string;
  role?: 'auditor';
}

const JSON_TYPE = 'application/json';
const ROUTES: RouteLimit[] = [
  { method: 'POST', path: '/keys', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/keys/KNKHONGTONTAI/suspend', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/keys/KNKHONGTONTAI/cancel', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/keys/KNKHONGTONTAI/rotate', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/keys/import', limit: 20 * MB, shown: '20 MB' },
  { method: 'POST', path: '/keys/import', limit: 20 * MB, shown: '20 MB', contentType: 'text/csv' },
  { method: 'POST', path: '/certs', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/certs/sign-csr', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/certs/sign-csr', limit: MB, shown: '1 MB', contentType: 'application/pkcs10' },
  { method: 'POST', path: '/certs/trust-anchors', limit: MB, shown: '1 MB' },
  { method: 'POST', path: '/certs/trust-anchors', limit: MB, shown: '1 MB', contentType: 'application/x-pem-file' },
  { method: 'POST', path: '/certs/7FFFFFFF/revoke', limit: MB, shown: '1 MB' },
  { method: 'PUT', path: '/units/remap-rules', limit: 20 * MB, shown: '20 MB' },
  { method: 'POST', path: '/units/remap-rules/rules', limit: 64 * KB, shown: '64 kB' },
  { method: 'PUT', path: '/units', limit: 100 * MB, shown: '100 MB' },
  { method: 'POST', path: '/queue/replay', limit: 16 * KB, shown: '16 kB' },
  { method: 'POST', path: '/queue/TDKHONGTONTAI/discard', limit: 16 * KB, shown: '16 kB' },
  { method: 'POST', path: '/audit/search', limit: 64 * KB, shown: '64 kB', role: 'auditor' },
];

beforeAll(async () => {
  h = await startHarness({ roles: { dataPlane: false, adminPlane: true, delivery: false } });
  admin = await h.adminClient('network-admin');
  auditor = await h.adminClient('auditor');
}, 120_000);

afterAll(cleanup);

/** A body of exactly `size` bytes: a JSON object with one padding member, or plain text. */
function bodyOf(size: number, contentType: string): Buffer {
  const body = Buffer.alloc(size, 'a');
  if (contentType === JSON_TYPE) {
    body.write('{"pad":"', 0, 'latin1');
    body.write('"}', size - 2, 'latin1');
  }
  return body;
}

function send(route: RouteLimit, size: number) {
  const contentType = route.contentType ?? JSON_TYPE;
  const client = route.role === 'auditor' ? auditor : admin;
  return client.request(`${h.adminUrl}/api/v1/admin${route.path}`, { method: route.method, headers: { 'content-type': contentType }, body: bodyOf(size, contentType) });
}

describe('admin routes: each body under its own limit', () => {
  for (const route of ROUTES) {
    const name = `${route.method} ${route.path}${route.contentType ? ` (${route.contentType})` : ''}, ${route.shown}`;

    it(`${name}: one byte over → 413 JSON problem`, async () => {
      const r = await send(route, route.limit + 1);
      expect(r.status).toBe(413);
      expect(r.headers['content-type']).toMatch(/json/);
      const problem = r.json();
      expect(problem).toMatchObject({ status: 413, code: 'DU_LIEU_QUA_LON', type: 'urn:ndxp:loi:DU_LIEU_QUA_LON' });
      expect(problem.title).toBe(`Dữ liệu gửi lên vượt quá kích thước cho phép (${route.shown})`);
    }, 120_000);

    it(`${name}: exactly the limit → read (not refused for size)`, async () => {
      const r = await send(route, route.limit);
      expect(r.status).not.toBe(413);
      expect(r.status).toBeLessThan(500);
      expect(r.headers['content-type']).toMatch(/json/);
      expect(r.json().code).not.toBe('DU_LIEU_QUA_LON');
    }, 120_000);
  }
});
