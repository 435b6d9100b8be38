/**
 * POST /token (OAuth 2.0 client credentials, RFC 6749 §4.4): the grant and the client's
 * credentials read from the form or HTTP Basic, as the connection key `<client_id>.<secret>`
 * the authenticate stage then checks. Malformed requests get OAuth's own error answers; a key
 * the gateway refuses is answered `invalid_client` (tokenRefusal).
 */
import { GatewayError } from '../../../core/errors.js';
import { jsonAnswer, problemAnswer, type HttpAnswer } from '../../../core/http.js';
import { clientCredentials } from '../../keys/bearer.js';
import { ANY_USE, type Exchange, type Stage } from '../exchange.js';

export const tokenRequest: Stage = {
  name: 'token-request',
  run(x) {
    const form = new URLSearchParams(x.body!.toString('utf8'));
    if (form.get('grant_type') !== 'client_credentials') {
      x.answer = oauthError(400, 'unsupported_grant_type', 'Chỉ hỗ trợ grant_type=client_credentials');
      return;
    }
    const { clientId, clientSecret, malformed } = clientCredentials(x.req.headers.authorization, form);
    if (malformed) x.answer = oauthError(400, 'invalid_request', 'Thông tin xác thực HTTP Basic không đúng mã hóa (percent-encoding) của client_id hoặc client_secret');
    else if (!clientId || !clientSecret) x.answer = oauthError(400, 'invalid_request', 'Thiếu client_id hoặc client_secret');
    else {
      x.credentials = { key: clientSecret.startsWith(`${clientId}.`) ? clientSecret : `${clientId}.${clientSecret}` };
      x.use = ANY_USE;
    }
  },
};

/** A refused key is OAuth's invalid_client; anything else (lockout, body too large, certificate) a JSON problem. */
export function tokenRefusal(err: GatewayError, x: Exchange): HttpAnswer {
  if (err.code === 'KHOA_KET_NOI_KHONG_HOP_LE') return oauthError(401, 'invalid_client', `${err.message} (${err.code})`);
  return problemAnswer(err, x.requestId);
}

function oauthError(status: number, error: string, description: string): HttpAnswer {
  return jsonAnswer(status, { error, error_description: description }, { 'cache-control': 'no-store', ...(status === 401 ? { 'www-authenticate': 'Basic realm="ndxp-gateway"' } : {}) });
}
