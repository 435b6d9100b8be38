/** A path no front or endpoint serves: 404 as a JSON problem, neither in the trail nor counted. */
import { GatewayError } from '../../../core/errors.js';
import { problemAnswer } from '../../../core/http.js';
import { echoPreview } from '../../../core/ids.js';
import type { Stage } from '../exchange.js';

export const notFound: Stage = {
  name: 'not-found',
  run(x) {
    x.req.resume();
    x.trail = 'none';
    x.counted = false;
    x.answer = problemAnswer(new GatewayError('KHONG_TIM_THAY', { path: echoPreview(x.meta.path, 200) }));
  },
};
