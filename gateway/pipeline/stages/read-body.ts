/** The request body, decompressed and capped at `limit` bytes (DU_LIEU_QUA_LON beyond it). */
import { readBody as read } from '../../../core/http.js';
import type { Stage } from '../exchange.js';

export function readBody(limit: number): Stage {
  return {
    name: 'read-body',
    async run(x) {
      x.body = await read(x.req, limit);
    },
  };
}
