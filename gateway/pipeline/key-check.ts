/**
 * The one key check every front uses: a connection key (SOAP header, WS-Security password,
 * X-Connection-Key) goes to the key validator; a bearer token from POST /token is verified and
 * then its key is checked exactly as if the key itself had been presented (status, expiry,
 * certificate binding, front, operation) — so suspending a key ends its tokens at once.
 */
import { GatewayError } from '../../core/errors.js';
import type { KeyValidator } from '../keys/validator.js';
import type { TokenService } from '../keys/bearer.js';
import type { KeyCheck } from './ports.js';

export function createKeyCheck(validator: KeyValidator, tokens: TokenService): KeyCheck {
  return {
    validate(presented, peer, use) {
      const call = { front: use.front === '*' ? undefined : use.front, operation: use.operation === '*' ? undefined : use.operation };
      if (presented.bearer !== undefined) {
        const keyId = tokens.verify(presented.bearer);
        if (!keyId) throw new GatewayError('KHOA_KET_NOI_KHONG_HOP_LE', {}, 'bad_token');
        return validator.validateKeyId(keyId, peer, call);
      }
      return validator.validate({ key: presented.key, softwareId: presented.softwareId }, peer, call);
    },
    touch: (keyId) => validator.touch(keyId),
  };
}
