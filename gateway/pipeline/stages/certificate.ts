/**
 * Is the client certificate still good for this request? OpenSSL checked it at the handshake;
 * a keep-alive connection can outlive a revocation or the certificate's own expiry, so every
 * request looks again (a Set lookup and a clock read). A refused request closes its connection.
 */
import { GatewayError } from '../../../core/errors.js';
import { connectionsCut } from '../../../core/metrics.js';
import type { Stage } from '../exchange.js';
import type { CertStatus } from '../ports.js';

export function certificate(certs: CertStatus): Stage {
  return {
    name: 'certificate',
    run(x) {
      const peer = x.peer;
      if (peer && !certs.isRevoked(peer.serial) && peer.notAfterMs >= Date.now()) return;
      const reason = peer ? 'revoked_or_expired' : 'no_certificate';
      connectionsCut.inc({ reason: 'revoked' });
      x.closeAfter = true;
      x.details = { reason };
      throw new GatewayError('CHUNG_THU_KHONG_HOP_LE', {}, reason);
    },
  };
}
