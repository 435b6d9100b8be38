/**
 * Binds the shared record preparation (adapters/national/prepare.ts: re-map, validate, sign) to
 * this process's unit directory and the units' signing certificates. Signing identities are
 * loaded from the store once and kept until certificates change (a new `issue-signing`, a
 * revocation), so signing costs one RSA operation per record, not a key decryption.
 */
import { prepareRecords, prepareUnit } from '../../adapters/national/prepare.js';
import type { UnitDirectory } from '../../adapters/national/remap.js';
import { signingIdentity, type SigningIdentity } from '../../certs/material.js';
import type { AppContext } from '../../core/context.js';
import type { RecordPreparer } from './ports.js';

export function createPreparer(ctx: AppContext, directory: UnitDirectory, certs: { onChange(cb: () => void): void }): RecordPreparer {
  let identities = new Map<string, Promise<SigningIdentity>>();
  certs.onChange(() => {
    identities = new Map();
  });
  const signer = (unit: string): Promise<SigningIdentity> => {
    let p = identities.get(unit);
    if (!p) {
      p = signingIdentity(ctx, unit);
      identities.set(unit, p);
      // A unit without a certificate is asked again next time (an admin may issue one meanwhile).
      p.catch(() => identities.delete(unit));
    }
    return p;
  };
  return {
    prepareRecords: (parsed, sender) => prepareRecords(parsed, { directory, signer, softwareId: sender.softwareId, sendingUnit: sender.unitCode, front: sender.front }),
    prepareUnit: (parsed) => prepareUnit(parsed, { directory }),
    currentUnitCode(code) {
      const r = directory.remap(code);
      return 'error' in r ? code : r.code;
    },
  };
}
