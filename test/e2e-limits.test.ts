/**
 * Abuse protection as each caller sees it, through the real data plane and real Redis: a key
 * over its rate hears so in its own protocol, with the wait; a client guessing keys is locked
 * out while another installation keeps working.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';

let h: Harness;
const tight = { requestsPerSecond: 1, burstSeconds: 1 };

/** Sends until the gateway refuses (at most `max` times); returns the refusal. */
async function untilRefused(send: () => Promise<{ status: number; text: string }>, refused: (r: { status: number; text: string }) => boolean, max = 10) {
  for (let i = 0; i < max; i++) {
    const r = await send();
    if (refused(r)) return r;
  }
  throw new Error('never refused');
}

const statusA = (key: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>${key}</MaKetNoi></XacThuc></soap:Header><soap:Body><TraCuuTrangThai xmlns="http://qlcb.vendor-a.vn/"><maTheoDoi>TD1</maTheoDoi></TraCuuTrangThai></soap:Body></soap:Envelope>`;

function statusB(softwareId: string, key: string): string {
  const now = new Date();
  return `<?xml version="1.0" encoding="UTF-8"?><soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" xmlns:v2="http://ws.vendor-b.vn/hrm/sync/v2"><soap:Header><wsse:Security soap:mustUnderstand="true" xmlns:wsse="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd" xmlns:wsu="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"><wsu:Timestamp><wsu:Created>${now.toISOString()}</wsu:Created><wsu:Expires>${new Date(now.getTime() + 300_000).toISOString()}</wsu:Expires></wsu:Timestamp><wsse:UsernameToken><wsse:Username>${softwareId}</wsse:Username><wsse:Password Type="http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0#PasswordText">${key}</wsse:Password></wsse:UsernameToken></wsse:Security></soap:Header><soap:Body><v2:getStatus><trackingId>TD1</trackingId></v2:getStatus></soap:Body></soap:Envelope>`;
}

beforeAll(async () => {
  h = await startHarness();
}, 120_000);

afterAll(cleanup);

describe('a key over its rate is told in its own protocol', () => {
  it('vendor A: SOAP 1.1 Server fault VUOT_HAN_MUC with the wait in the message', async () => {
    const a: LegacyClient = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'A-TIGHT', limits: tight });
    const r = await untilRefused(
      () => a.request(`${h.url}/QLCBService.asmx`, { headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/TraCuuTrangThai"' }, body: statusA(a.connectionKey) }),
      (r) => r.status === 500,
    );
    expect(r.text).toContain('<faultcode>soap:Server</faultcode>');
    expect(r.text).toMatch(/<faultstring>Vượt hạn mức gửi dữ liệu; vui lòng thử lại sau \d+ giây \(VUOT_HAN_MUC\)<\/faultstring>/);
  });

  it('vendor B: SOAP 1.2 Receiver fault with SyncFault/code VUOT_HAN_MUC and retryAfterSeconds', async () => {
    const b: LegacyClient = await h.legacyClient({ vendor: 'vendor-b-jaxws', softwareId: 'B-TIGHT', limits: tight });
    const r = await untilRefused(
      () => b.request(`${h.url}/hrm/sync/v2`, { headers: { 'content-type': 'application/soap+xml; charset=UTF-8' }, body: statusB('B-TIGHT', b.connectionKey) }),
      (r) => r.status === 500,
    );
    expect(r.text).toContain('<soap:Value>soap:Receiver</soap:Value>');
    expect(r.text).toContain('<code>VUOT_HAN_MUC</code>');
    expect(r.text).toMatch(/<retryAfterSeconds>\d+<\/retryAfterSeconds>/);
  });

  it('vendor C: its own XML with the wait (HTTP 429)', async () => {
    const c: LegacyClient = await h.legacyClient({ vendor: 'vendor-c-xmlpost', softwareId: 'C-TIGHT', limits: tight });
    const r = await untilRefused(
      () => c.request(`${h.url}/vendor-c/hoso`, { headers: { 'content-type': 'text/xml', 'x-connection-key': c.connectionKey }, body: '<?xml version="1.0" encoding="utf-8"?><HoSoCanBo><HoTen>X</HoTen></HoSoCanBo>' }),
      (r) => r.status === 429,
    );
    expect(r.text).toMatch(/<KetQua><Ma>[^<]+<\/Ma><ThongBao>Vượt hạn mức gửi dữ liệu; vui lòng thử lại sau \d+ giây/);
  });

  it('JSON: 429 with Retry-After', async () => {
    const j: LegacyClient = await h.legacyClient({ vendor: 'json', softwareId: 'J-TIGHT', limits: tight });
    const r = await untilRefused(() => j.request(`${h.url}/api/v1/tracking/TD1`, { headers: { 'x-connection-key': j.connectionKey } }), (r) => r.status === 429);
    expect(JSON.parse(r.text)).toMatchObject({ code: 'VUOT_HAN_MUC' });
  });
});

describe('key guessing', () => {
  it('locks out the guessing certificate, not a well-behaved neighbour, and an admin can lift it', async () => {
    const guesser = await h.legacyClient({ vendor: 'json', softwareId: 'J-GUESS' });
    const neighbour = await h.legacyClient({ vendor: 'json', softwareId: 'J-GOOD' });
    const r = await untilRefused(
      () => guesser.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': `${guesser.keyId}.guess-${Math.random()}` } }),
      (r) => r.status === 429,
      20,
    );
    expect(JSON.parse(r.text)).toMatchObject({ code: 'KHOA_KET_NOI_BI_KHOA' });
    // Even its valid key is refused while locked out; the neighbour is not affected.
    expect((await guesser.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': guesser.connectionKey } })).status).toBe(429);
    expect((await neighbour.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': neighbour.connectionKey } })).status).toBe(200);
    const admin = await h.adminClient('network-admin');
    const list = await admin.request(`${h.adminUrl}/api/v1/admin/lockouts`);
    expect(list.status).toBe(200);
    const lockout = JSON.parse(list.text).lockouts?.[0] ?? JSON.parse(list.text)[0];
    expect(lockout.id).toBe(`cert:${guesser.cert.serial}`);
    const lifted = await admin.request(`${h.adminUrl}/api/v1/admin/lockouts/${encodeURIComponent(lockout.id)}`, { method: 'DELETE' });
    expect(lifted.status).toBeLessThan(300);
    expect((await guesser.request(`${h.url}/api/v1/whoami`, { headers: { 'x-connection-key': guesser.connectionKey } })).status).toBe(200);
  });
});
