/**
 * GET /api/v1/tracking/{id}: the state of one submitted record. Only what can be a tracking id
 * is looked up, a made-up one is never echoed in full, and another unit's id answers exactly as
 * an unknown one (the trail notes why).
 */
import { GatewayError } from '../../../core/errors.js';
import { decodeComponent, jsonAnswer } from '../../../core/http.js';
import { echoPreview, isTrackingId } from '../../../core/ids.js';
import type { Delivery } from '../../delivery/types.js';
import type { Stage } from '../exchange.js';
import { fromTracking, ownTracking } from '../execute.js';
import type { MismatchWarnings } from '../../doi-soat/warnings.js';

export const TRACKING_PREFIX = '/api/v1/tracking/';

export function tracking(delivery: Delivery, currentUnitCode: (code: string) => string, mismatches?: MismatchWarnings): Stage {
  return {
    name: 'tracking',
    async run(x) {
      const identity = x.identity!;
      const segment = x.meta.path.slice(TRACKING_PREFIX.length);
      const id = decodeComponent(segment);
      if (id === undefined || !isTrackingId(id)) throw new GatewayError('MA_THEO_DOI_KHONG_HOP_LE', { trackingId: echoPreview(id ?? segment) });
      const [found] = await delivery.track([id]);
      const state = ownTracking(found, identity.unitCode, currentUnitCode, 'json');
      if (!state) throw new GatewayError('MA_THEO_DOI_KHONG_TON_TAI', { trackingId: id }, found ? 'other_unit' : undefined);
      const r = fromTracking(id, 0, state, 'maTheoDoi');
      // A delivered record the population database disputes carries each mismatch as a warning.
      await mismatches?.annotate([r], 'json');
      x.answer = jsonAnswer(200, {
        maTheoDoi: id,
        trangThai: state.state,
        ketQua: r.status,
        thongBao: r.message,
        soLanThu: state.attempts,
        loiGanNhat: state.lastError ?? null,
        phanHoiTrungUong: state.central ?? null,
        loi: r.errors,
        canhBao: r.warnings,
        taoLuc: new Date(state.createdAt).toISOString(),
        capNhatLuc: new Date(state.updatedAt).toISOString(),
        dongBoLuc: state.deliveredAt ? new Date(state.deliveredAt).toISOString() : null,
      });
    },
  };
}
