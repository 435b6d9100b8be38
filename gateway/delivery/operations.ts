/**
 * Operator actions on the delivery queue, shared by the CLI (`ndxp queue …`) and the admin API:
 * replay dead letters, discard a record that must not be delivered. Both only change outbox
 * rows; the relay of every running gateway turns a replayed row into a queue job within one
 * relay interval. Every action is recorded in the audit trail with its actor, durably and
 * before it takes effect (no unrecorded operator action, even if the trail is unavailable).
 */
import type { AppContext } from '../../core/context.js';
import { OperatorError } from '../../core/errors.js';
import { deadTrackingIds, discardRow, DISCARDABLE_STATES, getRow, replayRows } from './outbox.js';
import type { TrackingStateName } from './types.js';

/** A refusal of an operator action: a catalogue code (its HTTP status for the admin API) and the precise sentence. */
export class QueueActionError extends OperatorError {
  constructor(code: 'YEU_CAU_KHONG_HOP_LE' | 'MA_THEO_DOI_KHONG_TON_TAI' | 'NHAT_KY_KHONG_SAN_SANG' | 'KHONG_O_HANG_LOI' | 'THIEU_LY_DO' | 'KHONG_THE_HUY', message: string) {
    super(code, message);
    this.name = 'QueueActionError';
  }
}

export interface ReplayResult {
  replayed: string[];
}

const AUDIT_WAIT_MS = 20_000;

/**
 * Operator actions are recorded durably BEFORE they take effect: if the audit trail cannot
 * confirm the entry, nothing is changed and the operator is told so.
 */
async function auditFirst(ctx: AppContext, event: Parameters<AppContext['audit']['recordDurable']>[0]): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ctx.audit.recordDurable(event),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), AUDIT_WAIT_MS);
      }),
    ]);
  } catch {
    throw new QueueActionError('NHAT_KY_KHONG_SAN_SANG', 'Không ghi được nhật ký kiểm toán nên chưa thực hiện thao tác; vui lòng thử lại sau');
  } finally {
    clearTimeout(timer);
  }
}

/** Puts dead letters back in the queue with a fresh attempt count and age window. */
export async function replayDead(ctx: AppContext, target: { trackingId: string } | { all: true; unit?: string }, actor: string): Promise<ReplayResult> {
  const db = ctx.store.db;
  if ('trackingId' in target) {
    const row = await getRow(db, target.trackingId);
    if (!row) throw new QueueActionError('MA_THEO_DOI_KHONG_TON_TAI', `Không tìm thấy mã theo dõi ${target.trackingId}`);
    if (row.state !== 'dead') throw new QueueActionError('KHONG_O_HANG_LOI', `Hồ sơ ${target.trackingId} đang ở trạng thái ${row.state}, chỉ gửi lại được hồ sơ đã chuyển vào hàng lỗi (dead)`);
  }
  const ids = await deadTrackingIds(db, 'trackingId' in target ? { trackingId: target.trackingId } : { unit: target.unit });
  await auditFirst(ctx, {
    kind: 'admin',
    front: 'admin',
    operation: 'queue.replay',
    actor,
    target: 'trackingId' in target ? target.trackingId : target.unit ? `*@${target.unit}` : '*',
    trackingIds: ids.slice(0, 1000),
    outcome: 'ok',
    details: { count: ids.length },
  });
  return { replayed: await replayRows(db, ids) };
}

/** Gives up on one record (dead or still waiting) for a stated reason; it is never sent afterwards. */
export async function discard(ctx: AppContext, trackingId: string, reason: string, actor: string): Promise<{ trackingId: string; previousState: string }> {
  if (!reason.trim()) throw new QueueActionError('THIEU_LY_DO', 'Phải nêu lý do hủy (--reason)');
  const db = ctx.store.db;
  const row = await getRow(db, trackingId);
  if (!row) throw new QueueActionError('MA_THEO_DOI_KHONG_TON_TAI', `Không tìm thấy mã theo dõi ${trackingId}`);
  const refuse = (state: string) => {
    const detail = state === 'delivering' ? 'đang được gửi, thử lại sau ít giây' : `đã ở trạng thái cuối ${state}`;
    return new QueueActionError('KHONG_THE_HUY', `Không hủy được hồ sơ ${trackingId}: ${detail}`);
  };
  if (!DISCARDABLE_STATES.includes(row.state as TrackingStateName)) throw refuse(row.state);
  await auditFirst(ctx, {
    kind: 'admin',
    front: 'admin',
    operation: 'queue.discard',
    actor,
    target: trackingId,
    trackingIds: [trackingId],
    outcome: 'ok',
    details: { reason: reason.trim(), previousState: row.state },
  });
  if (!(await discardRow(db, trackingId, `${reason.trim()} (${actor})`))) {
    // Claimed for sending between the check and now: the audit entry stands as the attempt.
    const now = await getRow(db, trackingId);
    throw refuse(now?.state ?? row.state);
  }
  return { trackingId, previousState: row.state };
}
