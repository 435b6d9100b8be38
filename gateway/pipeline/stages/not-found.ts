/**
 * A path no front or endpoint serves: 404 as a JSON problem, neither in the trail nor counted,
 * but a refusal like any other (the epilogue renders it and logs its warning).
 */
import { GatewayError } from '../../../core/errors.js';
import { echoPreview } from '../../../core/ids.js';
import type { Stage } from '../exchange.js';

export const notFound: Stage = {
  name: 'not-found',
  run(x) {
    x.req.resume();
    x.trail = 'none';
    x.counted = false;
    x.refuse(new GatewayError('KHONG_TIM_THAY', { path: echoPreview(x.meta.path, 200) }));
  },
};
