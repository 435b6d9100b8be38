/**
 * A protocol front takes its messages by POST. A GET asks for one of its documents (the WSDL):
 * served here, outside the trail; a GET for anything else and every other method are refused.
 */
import { GatewayError } from '../../../core/errors.js';
import type { RequestMeta } from '../../../core/http.js';
import type { Stage } from '../exchange.js';

export function describe(publicUrl: () => string): Stage {
  return {
    name: 'describe',
    run(x) {
      const method = x.req.method;
      if (method === 'POST') return;
      if (method !== 'GET') throw new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: method ?? '', path: x.meta.path });
      const doc = x.protocol!.describe?.(x.meta, publicUrl());
      if (!doc) throw noDocument(x.meta);
      x.operation = 'describe';
      x.trail = 'none';
      x.timed = false;
      x.answer = doc;
    },
  };
}

/** A GET the front has no document for: the bare service URL takes POST only; a query names nothing we serve. */
function noDocument(meta: RequestMeta): GatewayError {
  const query = meta.query.toString();
  if (query === '') return new GatewayError('PHUONG_THUC_KHONG_HO_TRO', { method: 'GET', path: meta.path });
  return new GatewayError('KHONG_TIM_THAY', { path: `${meta.path}?${query}`.slice(0, 200) }, 'no document for this GET query');
}
