/**
 * Binds the shared record preparation (adapters/national/prepare.ts: re-map, keep to the key's
 * unit and the units below it (scope.ts), validate, sign) to this process's unit directory and
 * the units' signing identities (certs/signer.ts keeps them until certificates change, so
 * signing costs one signature per record, not a key decryption).
 */
import { prepareRecords, prepareUnit } from '../../adapters/national/prepare.js';
import type { UnitDirectory } from '../units/directory.js';
import { unitScope } from '../../adapters/national/scope.js';
import type { UnitSigner } from '../../certs/signer.js';
import type { RecordPreparer } from './ports.js';

export function createPreparer(directory: UnitDirectory, signer: UnitSigner): RecordPreparer {
  return {
    prepareRecords: (parsed, sender) =>
      prepareRecords(parsed, { directory, signer, softwareId: sender.softwareId, sendingUnit: sender.unitCode, front: sender.front, scope: unitScope(directory, sender.keyUnitCode) }),
    prepareUnit: (parsed, sender) => prepareUnit(parsed, { directory, scope: unitScope(directory, sender.keyUnitCode) }),
    currentUnitCode(code) {
      const r = directory.remap(code);
      return 'error' in r ? code : r.code;
    },
  };
}
