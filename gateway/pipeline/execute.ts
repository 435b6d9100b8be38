/**
 * Runs one authenticated operation: map the legacy records, check and sign them, hand the
 * valid ones to delivery, remember the invalid ones, and say what became of each record in
 * vendor-neutral terms (RecordResult). The vendor front turns that into its own answer.
 */
import type { FieldIssue, IncomingCall, OperationResult, RecordResult, RecordStatus } from '../../adapters/types.js';
import { textRepair } from '../../adapters/text/index.js';
import { vendorField } from '../../adapters/national/prepare.js';
import { GatewayError } from '../../core/errors.js';
import { newTrackingId } from '../../core/ids.js';
import type { Delivery, DeliveryOutcome, Origin, TrackingState } from '../delivery/types.js';
import type { AbuseGuard, KeyIdentity, PreparedRecord, RecordPreparer } from './ports.js';

export interface ExecuteDeps {
  delivery: Delivery;
  preparer: RecordPreparer;
  guard: AbuseGuard;
  maxRecordsPerCall: number;
}

export interface Execution {
  result: OperationResult;
  /** Full personal ids of the records concerned (the audit trail masks them). */
  personalIds: string[];
  trackingIds: string[];
  /** True when at least one record was accepted but not yet delivered. */
  queued: boolean;
}

const MESSAGES: Record<RecordStatus, string> = {
  SYNCED: 'Đồng bộ thành công',
  QUEUED: 'Đã tiếp nhận, đang chờ đồng bộ lên CSDL quốc gia',
  INVALID: 'Dữ liệu không hợp lệ',
  STALE: 'Bản ghi cũ hơn bản đã có trên CSDL quốc gia; không cập nhật',
  ERROR: 'Lỗi hệ thống khi đồng bộ',
};

const GATEWAY_FAULTS = new Set(['CHUA_CO_CHUNG_THU_KY', 'LOI_HE_THONG']);

function centralIssues(outcome: DeliveryOutcome, fields: Record<string, string>): FieldIssue[] {
  const loi = outcome.central?.loi ?? [];
  const issues = loi.map((l) => ({
    pointer: l.truong,
    field: vendorField(l.truong, fields),
    code: l.ma,
    message: l.moTa,
  }));
  if (issues.length === 0 && outcome.message) issues.push({ pointer: undefined, field: '', code: 'CSDL_TRUNG_UONG_TU_CHOI', message: outcome.message });
  return issues;
}

function fromOutcome(p: PreparedRecord, trackingId: string, outcome: DeliveryOutcome): RecordResult {
  const base = { recordId: p.parsed.recordId, index: p.parsed.index, trackingId, warnings: p.warnings };
  switch (outcome.state) {
    case 'delivered':
      return { ...base, status: 'SYNCED', errors: [], message: MESSAGES.SYNCED };
    case 'queued':
      return { ...base, status: 'QUEUED', errors: [], message: MESSAGES.QUEUED };
    case 'stale':
      return { ...base, status: 'STALE', errors: [], message: MESSAGES.STALE };
    case 'rejected': {
      const errors = centralIssues(outcome, p.parsed.fields);
      return { ...base, status: 'INVALID', errors, message: `CSDL quốc gia từ chối bản ghi: ${errors.length} lỗi` };
    }
    default:
      return { ...base, status: 'ERROR', errors: [], message: outcome.message ?? MESSAGES.ERROR };
  }
}

/** What a status query answers for one tracking id. */
export function fromTracking(id: string, index: number, state: TrackingState | undefined): RecordResult {
  const base = { recordId: state?.recordId ?? id, index, trackingId: id, warnings: [] };
  if (!state) {
    const err = new GatewayError('MA_THEO_DOI_KHONG_TON_TAI', { trackingId: id });
    return { ...base, status: 'ERROR', errors: [{ field: 'maTheoDoi', code: err.code, message: err.message }], message: err.message };
  }
  switch (state.state) {
    case 'delivered':
      return { ...base, status: 'SYNCED', errors: [], message: MESSAGES.SYNCED };
    case 'pending':
    case 'queued':
    case 'delivering': {
      const tail = state.attempts > 0 ? ` (đã thử ${state.attempts} lần${state.lastError ? `; lỗi gần nhất: ${state.lastError}` : ''})` : '';
      return { ...base, status: 'QUEUED', errors: [], message: MESSAGES.QUEUED + tail };
    }
    case 'stale':
      return { ...base, status: 'STALE', errors: [], message: MESSAGES.STALE };
    case 'superseded':
      return { ...base, status: 'STALE', errors: [], message: 'Đã được thay thế bởi một phiên bản mới hơn của cùng hồ sơ' };
    case 'invalid':
    case 'rejected': {
      const errors = state.errors ?? (state.central?.loi ?? []).map((l) => ({ pointer: l.truong, field: l.truong ?? '', code: l.ma, message: l.moTa }));
      return { ...base, status: 'INVALID', errors, message: `${MESSAGES.INVALID}: ${errors.length} lỗi` };
    }
    case 'dead':
      return { ...base, status: 'ERROR', errors: [], message: `Không đồng bộ được sau ${state.attempts} lần thử; quản trị viên cổng kết nối đã được báo để xử lý` };
    case 'discarded':
      return { ...base, status: 'ERROR', errors: [], message: `Bản ghi đã bị quản trị viên hủy gửi${state.lastError ? `: ${state.lastError}` : ''}` };
  }
}

export async function execute(call: IncomingCall, identity: KeyIdentity, origin: Omit<Origin, 'unitCode'>, deps: ExecuteDeps): Promise<Execution> {
  const sender = { softwareId: identity.softwareId, unitCode: call.credentials.unitCode || identity.unitCode, front: origin.front };
  const fullOrigin: Origin = { ...origin, unitCode: deps.preparer.currentUnitCode(sender.unitCode) };
  const repair = textRepair(identity.encoding);

  if (call.operation === 'status') {
    const ids = call.trackingIds ?? [];
    await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 0, overrides: identity.limits });
    const states = await deps.delivery.track(ids);
    return {
      result: { operation: 'status', correlation: call.correlation, results: ids.map((id, i) => fromTracking(id, i, states[i])) },
      personalIds: states.flatMap((s) => (s?.soDinhDanh ? [s.soDinhDanh] : [])),
      trackingIds: ids,
      queued: false,
    };
  }

  if (call.operation === 'upsertUnit') {
    const parsed = call.unit!(repair);
    await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 1, overrides: identity.limits });
    const prepared = await deps.preparer.prepareUnit(parsed, sender);
    const trackingId = newTrackingId();
    const base = { recordId: parsed.recordId, index: 0, trackingId, warnings: prepared.warnings };
    if (!prepared.unit || prepared.errors.length > 0) {
      return {
        result: { operation: 'upsertUnit', correlation: call.correlation, results: [{ ...base, status: 'INVALID', errors: prepared.errors, message: `${MESSAGES.INVALID}: ${prepared.errors.length} lỗi` }] },
        personalIds: [],
        trackingIds: [trackingId],
        queued: false,
      };
    }
    const outcome = await deps.delivery.submitUnit({ trackingId, recordId: parsed.recordId, unit: prepared.unit, origin: fullOrigin });
    const pseudo: PreparedRecord = { parsed: { ...parsed, index: 0, draft: {} }, errors: [], warnings: prepared.warnings };
    return {
      result: { operation: 'upsertUnit', correlation: call.correlation, results: [fromOutcome(pseudo, trackingId, outcome)] },
      personalIds: [],
      trackingIds: [trackingId],
      queued: outcome.state === 'queued',
    };
  }

  // submitProfiles
  const parsed = call.records!(repair);
  if (parsed.length > deps.maxRecordsPerCall) {
    throw new GatewayError('QUA_NHIEU_BAN_GHI', { limit: deps.maxRecordsPerCall, count: parsed.length });
  }
  await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: parsed.length, overrides: identity.limits });
  const prepared = await deps.preparer.prepareRecords(parsed, sender);
  const trackingIds = prepared.map(() => newTrackingId());
  const valid: number[] = [];
  const invalid: number[] = [];
  prepared.forEach((p, i) => (p.record && p.errors.length === 0 ? valid : invalid).push(i));

  if (invalid.length > 0) {
    await deps.delivery.recordInvalid(
      invalid.map((i) => ({
        trackingId: trackingIds[i],
        recordId: prepared[i].parsed.recordId,
        soDinhDanh: prepared[i].parsed.draft.soDinhDanh,
        errors: prepared[i].errors,
        origin: fullOrigin,
      })),
    );
  }
  const outcomes = valid.length
    ? await deps.delivery.submitProfiles(valid.map((i) => ({ trackingId: trackingIds[i], recordId: prepared[i].parsed.recordId, record: prepared[i].record!, origin: fullOrigin })))
    : [];

  const results: RecordResult[] = new Array(prepared.length);
  for (const i of invalid) {
    const p = prepared[i];
    // A record refused for the gateway's own reasons (no signing certificate for the unit, an
    // internal fault) is not the clerk's data error: it is reported as a gateway error.
    const gatewayFault = p.errors.some((e) => GATEWAY_FAULTS.has(e.code));
    results[i] = {
      recordId: p.parsed.recordId,
      index: p.parsed.index,
      trackingId: trackingIds[i],
      status: gatewayFault ? 'ERROR' : 'INVALID',
      errors: p.errors,
      warnings: p.warnings,
      message: gatewayFault ? `${MESSAGES.ERROR}: ${p.errors.find((e) => GATEWAY_FAULTS.has(e.code))!.message}` : `${MESSAGES.INVALID}: ${p.errors.length} lỗi`,
    };
  }
  valid.forEach((i, k) => {
    results[i] = fromOutcome(prepared[i], trackingIds[i], outcomes[k]);
  });
  return {
    result: { operation: 'submitProfiles', correlation: call.correlation, results },
    personalIds: prepared.flatMap((p) => (p.parsed.draft.soDinhDanh ? [p.parsed.draft.soDinhDanh] : [])),
    trackingIds,
    queued: outcomes.some((o) => o.state === 'queued'),
  };
}
