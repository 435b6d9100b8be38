/** A read path of the central database answers GET only. */
import { GatewayError } from '../../../core/errors.js';
import type { Stage } from '../exchange.js';

export const getOnly: Stage = {
  name: 'get-only',
  run(x) {
    if (x.req.method !== 'GET') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: x.req.method ?? '', path: x.meta.path });
  },
};
