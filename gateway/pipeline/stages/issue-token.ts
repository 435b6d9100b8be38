/** The authenticated key gets a short-lived bearer token (gateway/keys/bearer.ts); the issue is in the trail. */
import { jsonAnswer } from '../../../core/http.js';
import type { TokenService } from '../../keys/bearer.js';
import type { Stage } from '../exchange.js';

export function issueToken(tokens: TokenService): Stage {
  return {
    name: 'issue-token',
    run(x) {
      const issued = tokens.issue(x.identity!.keyId);
      x.trail = 'all';
      x.answer = jsonAnswer(200, { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn }, { 'cache-control': 'no-store' });
    },
  };
}
