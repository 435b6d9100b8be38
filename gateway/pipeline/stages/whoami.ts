/** GET /api/v1/whoami: what the gateway knows of the caller (its key, unit and certificate). */
import { jsonAnswer } from '../../../core/http.js';
import type { Stage } from '../exchange.js';

export function whoami(currentUnitCode: (code: string) => string): Stage {
  return {
    name: 'whoami',
    run(x) {
      const identity = x.identity!;
      const peer = x.peer!;
      x.answer = jsonAnswer(200, {
        phanMem: identity.softwareId,
        donVi: identity.unitCode,
        donViHienHanh: currentUnitCode(identity.unitCode),
        maKetNoi: { keyId: identity.keyId, giaoDien: identity.vendor, maHoa: identity.encoding, thaoTac: identity.operations, hetHan: identity.expiresAt ?? null, ganChungThu: identity.certSerial ?? identity.certSubject ?? null },
        chungThu: { subject: peer.subject, serial: peer.serial, issuer: peer.issuer, hetHan: peer.notAfter, sha256: peer.fingerprint256 },
      });
    },
  };
}
