/**
 * The data plane's JSON endpoints besides the protocol fronts:
 *   GET  /api/v1/whoami                    what the gateway knows of the caller
 *   POST /token                            OAuth 2.0 client credentials → bearer token
 *   GET  /api/v1/tracking/{id}             state of one submitted record
 *   GET  /api/v1/profiles/{soDinhDanh}     ┐ pass-through to the central database
 *   GET  /api/v1/units/{maDinhDanh}/tree   ┘
 * Credentials: `X-Connection-Key` or `Authorization: Bearer <token>`. Errors are JSON problems.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Operation, VendorId } from '../../adapters/types.js';
import type { RequestMeta } from '../../core/http.js';
import { jsonCredentials } from '../../adapters/json/credentials.js';
import type { AppContext } from '../../core/context.js';
import type { Delivery } from '../delivery/types.js';
import { GatewayError } from '../../core/errors.js';
import { echoPreview, isTrackingId, newRequestId } from '../../core/ids.js';
import { keyRejections, requestsTotal } from '../../core/metrics.js';
import { asGatewayError } from '../pipeline/exchange.js';
import { fromTracking, ownTracking } from '../pipeline/execute.js';
import type { AbuseGuard, KeyCheck, KeyIdentity } from '../pipeline/ports.js';
import { isGuess } from '../pipeline/ports.js';
import { decodeComponent, jsonAnswer, problemAnswer, readBody, writeAnswer } from '../../core/http.js';
import type { JsonRoutes } from './server.js';
import type { Peer } from '../pipeline/peer.js';
import { READ_PATHS, type PassThrough } from './passthrough.js';
import { clientCredentials, type TokenService } from '../keys/bearer.js';

export interface JsonRouteDeps {
  ctx: AppContext;
  keys: KeyCheck;
  guard: AbuseGuard;
  delivery: Delivery;
  tokens: TokenService;
  passThrough: PassThrough;
  currentUnitCode(code: string): string;
}

export function createJsonRoutes(deps: JsonRouteDeps): JsonRoutes {
  const { ctx } = deps;

  async function authenticate(req: IncomingMessage, peer: Peer, front: VendorId | '*', operation: Operation | '*'): Promise<KeyIdentity> {
    const client = { certSerial: peer.serial, remoteAddress: peer.remoteAddress };
    await deps.guard.assertNotLockedOut(client);
    try {
      const identity = deps.keys.validate(jsonCredentials(req.headers), peer, { front, operation });
      deps.keys.touch(identity.keyId);
      return identity;
    } catch (err) {
      if (err instanceof GatewayError) {
        keyRejections.inc({ reason: err.internalReason ?? err.code });
        if (isGuess(err)) await deps.guard.noteInvalidKey(client);
      }
      throw err;
    }
  }

  async function whoami(req: IncomingMessage, peer: Peer) {
    const identity = await authenticate(req, peer, '*', '*');
    return jsonAnswer(200, {
      phanMem: identity.softwareId,
      donVi: identity.unitCode,
      donViHienHanh: deps.currentUnitCode(identity.unitCode),
      maKetNoi: { keyId: identity.keyId, giaoDien: identity.vendor, maHoa: identity.encoding, thaoTac: identity.operations, hetHan: identity.expiresAt ?? null, ganChungThu: identity.certSerial ?? identity.certSubject ?? null },
      chungThu: { subject: peer.subject, serial: peer.serial, issuer: peer.issuer, hetHan: peer.notAfter, sha256: peer.fingerprint256 },
    });
  }

  async function token(req: IncomingMessage, peer: Peer) {
    const body = await readBody(req, 16 * 1024);
    const form = new URLSearchParams(body.toString('utf8'));
    const oauthError = (status: number, error: string, description: string) =>
      jsonAnswer(status, { error, error_description: description }, { 'cache-control': 'no-store', ...(status === 401 ? { 'www-authenticate': 'Basic realm="ndxp-gateway"' } : {}) });
    if (form.get('grant_type') !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'Chỉ hỗ trợ grant_type=client_credentials');
    const { clientId, clientSecret, malformed } = clientCredentials(req.headers.authorization, form);
    if (malformed) return oauthError(400, 'invalid_request', 'Thông tin xác thực HTTP Basic không đúng mã hóa (percent-encoding) của client_id hoặc client_secret');
    if (!clientId || !clientSecret) return oauthError(400, 'invalid_request', 'Thiếu client_id hoặc client_secret');
    const key = clientSecret.startsWith(`${clientId}.`) ? clientSecret : `${clientId}.${clientSecret}`;
    const client = { certSerial: peer.serial, remoteAddress: peer.remoteAddress };
    await deps.guard.assertNotLockedOut(client);
    let identity: KeyIdentity;
    try {
      identity = deps.keys.validate({ key }, peer, { front: '*', operation: '*' });
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'KHOA_KET_NOI_KHONG_HOP_LE') {
        keyRejections.inc({ reason: err.internalReason ?? err.code });
        if (isGuess(err)) await deps.guard.noteInvalidKey(client);
        return oauthError(401, 'invalid_client', `${err.message} (${err.code})`);
      }
      throw err;
    }
    const issued = deps.tokens.issue(identity.keyId);
    ctx.audit.record({ kind: 'exchange', front: 'token', operation: 'token', outcome: 'ok', keyId: identity.keyId, softwareId: identity.softwareId, unitCode: identity.unitCode, certSerial: peer.serial, certSubject: peer.subject, remoteAddress: peer.remoteAddress });
    return jsonAnswer(200, { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn }, { 'cache-control': 'no-store' });
  }

  async function tracking(req: IncomingMessage, peer: Peer, segment: string) {
    const identity = await authenticate(req, peer, '*', 'status');
    await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 0, overrides: identity.limits });
    // Only what can be a tracking id is looked up, and a made-up one is never echoed in full.
    const id = decodeComponent(segment);
    if (id === undefined || !isTrackingId(id)) throw new GatewayError('MA_THEO_DOI_KHONG_HOP_LE', { trackingId: echoPreview(id ?? segment) });
    const [found] = await deps.delivery.track([id]);
    // Another unit's id answers exactly as an unknown one (the trail notes why).
    const state = ownTracking(found, identity.unitCode, deps.currentUnitCode, 'json');
    if (!state) throw new GatewayError('MA_THEO_DOI_KHONG_TON_TAI', { trackingId: id }, found ? 'other_unit' : undefined);
    const r = fromTracking(id, 0, state, 'maTheoDoi');
    return jsonAnswer(200, {
      maTheoDoi: id,
      trangThai: state.state,
      ketQua: r.status,
      thongBao: r.message,
      soLanThu: state.attempts,
      loiGanNhat: state.lastError ?? null,
      phanHoiTrungUong: state.central ?? null,
      loi: r.errors,
      taoLuc: new Date(state.createdAt).toISOString(),
      capNhatLuc: new Date(state.updatedAt).toISOString(),
      dongBoLuc: state.deliveredAt ? new Date(state.deliveredAt).toISOString() : null,
    });
  }

  return {
    async handle(req: IncomingMessage, res: ServerResponse, peer: Peer, meta: RequestMeta): Promise<boolean> {
      const requestId = newRequestId();
      const { path } = meta;
      let operation = '';
      try {
        if (path === '/api/v1/whoami' && req.method === 'GET') {
          operation = 'whoami';
          writeAnswer(res, await whoami(req, peer), { 'x-request-id': requestId });
        } else if (path === '/token' && req.method === 'POST') {
          operation = 'token';
          writeAnswer(res, await token(req, peer), { 'x-request-id': requestId });
        } else if (path.startsWith('/api/v1/tracking/') && req.method === 'GET') {
          operation = 'tracking';
          writeAnswer(res, await tracking(req, peer, path.slice('/api/v1/tracking/'.length)), { 'x-request-id': requestId });
        } else if (READ_PATHS.some((re) => re.test(path))) {
          operation = 'read';
          if (req.method !== 'GET') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: req.method ?? '', path });
          const identity = await authenticate(req, peer, 'json', 'read');
          await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 0, overrides: identity.limits });
          ctx.audit.record({ kind: 'exchange', requestId, front: 'json', operation: `GET ${path.replace(/[0-9]{12}$/, '{soDinhDanh}')}`, outcome: 'proxied', keyId: identity.keyId, softwareId: identity.softwareId, unitCode: identity.unitCode, certSerial: peer.serial, certSubject: peer.subject, personalIds: path.match(/[0-9]{12}$/) ?? [], remoteAddress: peer.remoteAddress });
          res.setHeader('x-request-id', requestId);
          await deps.passThrough(req, res, { unitCode: deps.currentUnitCode(identity.unitCode), softwareId: identity.softwareId, requestId });
        } else {
          return false;
        }
        requestsTotal.inc({ front: 'json', operation, outcome: 'ok' });
      } catch (err) {
        const gErr = asGatewayError(err, ctx, requestId);
        req.resume();
        ctx.audit.record({ kind: 'refusal', requestId, front: operation === 'token' ? 'token' : 'json', operation, outcome: 'refused', code: gErr.code, certSerial: peer.serial, certSubject: peer.subject, remoteAddress: peer.remoteAddress, details: gErr.internalReason ? { reason: gErr.internalReason } : undefined });
        requestsTotal.inc({ front: 'json', operation, outcome: 'refused' });
        writeAnswer(res, problemAnswer(gErr, requestId), { 'x-request-id': requestId });
      }
      return true;
    },
  };
}
