/**
 * Runs one authenticated operation: map the legacy records, check and sign them, hand the
 * valid ones to delivery, remember the invalid ones, and say what became of each record in
 * vendor-neutral terms (RecordResult). The vendor front turns that into its own answer.
 */
import type { FieldIssue, IncomingCall, OperationResult, RecordResult } from '../../adapters/types.js';
import { textRepair } from '../../adapters/text/index.js';
import { vendorField } from '../../adapters/national/prepare.js';
import { GatewayError } from '../../core/errors.js';
import { echoPreview, isTrackingId, listDigest, MAX_CALLER_ID_LENGTH, newTrackingId } from '../../core/ids.js';
import { unitScopeRefusals } from '../../core/metrics.js';
import type { Delivery, DeliveryOutcome, Origin, TrackingState } from '../delivery/types.js';
import type { AbuseGuard, KeyIdentity, PreparedRecord, RecordPreparer } from './ports.js';
import type { MismatchWarnings } from '../doi-soat/warnings.js';
import { invalidText, RECORD_STATUS_TEXT } from '../../adapters/record-status.js';

export interface ExecuteDeps {
  delivery: Delivery;
  preparer: RecordPreparer;
  guard: AbuseGuard;
  maxRecordsPerCall: number;
  /** Open population-matching mismatches of delivered records, as warnings (issue 13). */
  mismatches?: MismatchWarnings;
}

export interface Execution {
  result: OperationResult;
  /** Full personal ids of the records concerned (the audit trail masks them). */
  personalIds: string[];
  trackingIds: string[];
  /** True when at least one record was accepted but not yet delivered. */
  queued: boolean;
  /** Small facts for the trail in place of long caller-supplied lists (status queries). */
  auditDetails?: Record<string, unknown>;
  /** Records refused because their unit lies outside the key's unit (the trail records a refusal). */
  outOfScope: OutOfScope;
}

export interface OutOfScope {
  trackingIds: string[];
  personalIds: string[];
  /** The units the records named, as sent. */
  units: string[];
}

const OUT_OF_SCOPE = 'DON_VI_NGOAI_PHAM_VI';

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
      return { ...base, status: 'SYNCED', errors: [], message: RECORD_STATUS_TEXT.SYNCED };
    case 'queued':
      return { ...base, status: 'QUEUED', errors: [], message: RECORD_STATUS_TEXT.QUEUED };
    case 'stale':
      return { ...base, status: 'STALE', errors: [], message: RECORD_STATUS_TEXT.STALE };
    case 'rejected': {
      const errors = centralIssues(outcome, p.parsed.fields);
      return { ...base, status: 'INVALID', errors, message: `CSDL quốc gia từ chối bản ghi: ${errors.length} lỗi` };
    }
    default:
      return { ...base, status: 'ERROR', errors: [], message: outcome.message ?? RECORD_STATUS_TEXT.ERROR };
  }
}

/**
 * A status query for a string that cannot be a tracking id: answered per id, as an error, and
 * echoed only as a short preview (a caller cannot make the answer grow with made-up ids).
 * `field`: the caller's name for the tracking-id field (IncomingCall.trackingField).
 */
export function malformedTracking(id: string, index: number, field: string): RecordResult {
  const shown = echoPreview(id);
  const err = new GatewayError('MA_THEO_DOI_KHONG_HOP_LE', { trackingId: shown });
  return { recordId: shown, index, trackingId: shown, warnings: [], status: 'ERROR', errors: [{ field, code: err.code, message: err.message }], message: err.message };
}

/**
 * A tracking state as a caller may see it: its own unit's records only. Another unit's id is
 * answered exactly as an unknown one, so a lookup cannot tell whether it exists.
 */
export function ownTracking(state: TrackingState | undefined, keyUnit: string, currentUnitCode: (code: string) => string, front: string): TrackingState | undefined {
  if (!state) return undefined;
  if (currentUnitCode(state.unitCode) === currentUnitCode(keyUnit)) return state;
  unitScopeRefusals.inc({ front, level: 'tracking' });
  return undefined;
}

/**
 * What a status query answers for one tracking id. `field`: the caller's name for the tracking-id
 * field (IncomingCall.trackingField), so an unknown id is reported against the caller's own field.
 */
export function fromTracking(id: string, index: number, state: TrackingState | undefined, field: string): RecordResult {
  const base = { recordId: state?.recordId ?? id, index, trackingId: id, warnings: [] };
  if (!state) {
    const err = new GatewayError('MA_THEO_DOI_KHONG_TON_TAI', { trackingId: id });
    return { ...base, status: 'ERROR', errors: [{ field, code: err.code, message: err.message }], message: err.message };
  }
  switch (state.state) {
    case 'delivered':
      return { ...base, status: 'SYNCED', errors: [], message: RECORD_STATUS_TEXT.SYNCED };
    case 'pending':
    case 'queued':
    case 'delivering': {
      const tail = state.attempts > 0 ? ` (đã thử ${state.attempts} lần${state.lastError ? `; lỗi gần nhất: ${state.lastError}` : ''})` : '';
      return { ...base, status: 'QUEUED', errors: [], message: RECORD_STATUS_TEXT.QUEUED + tail };
    }
    case 'stale':
      return { ...base, status: 'STALE', errors: [], message: RECORD_STATUS_TEXT.STALE };
    case 'superseded':
      return { ...base, status: 'STALE', errors: [], message: 'Đã được thay thế bởi một phiên bản mới hơn của cùng hồ sơ' };
    case 'invalid':
    case 'rejected': {
      const errors = state.errors ?? (state.central?.loi ?? []).map((l) => ({ pointer: l.truong, field: l.truong ?? '', code: l.ma, message: l.moTa }));
      return { ...base, status: 'INVALID', errors, message: invalidText(errors.length) };
    }
    case 'dead':
      return { ...base, status: 'ERROR', errors: [], message: `Không đồng bộ được sau ${state.attempts} lần thử; quản trị viên cổng kết nối đã được báo để xử lý` };
    case 'discarded':
      return { ...base, status: 'ERROR', errors: [], message: `Bản ghi đã bị quản trị viên hủy gửi${state.lastError ? `: ${state.lastError}` : ''}` };
  }
}

export async function execute(call: IncomingCall, identity: KeyIdentity, origin: Omit<Origin, 'unitCode'>, deps: ExecuteDeps): Promise<Execution> {
  // A key acts for its own unit: a sending unit the caller names must be it (or a pre-2025 code of it).
  // The stated unit is also echoed in per-record errors and stored with every record: bounded.
  const named = call.credentials.unitCode;
  if (named !== undefined && named.length > MAX_CALLER_ID_LENGTH) throw new GatewayError('GIA_TRI_QUA_DAI', { field: 'mã đơn vị gửi', limit: MAX_CALLER_ID_LENGTH });
  if (named && named !== identity.unitCode && deps.preparer.currentUnitCode(named) !== deps.preparer.currentUnitCode(identity.unitCode)) {
    unitScopeRefusals.inc({ front: origin.front, level: 'call' });
    throw new GatewayError('DON_VI_GUI_KHONG_KHOP', { unit: named, keyUnit: identity.unitCode }, 'sending unit is not the key unit');
  }
  const sender = { softwareId: identity.softwareId, unitCode: named || identity.unitCode, keyUnitCode: identity.unitCode, front: origin.front };
  const fullOrigin: Origin = { ...origin, unitCode: deps.preparer.currentUnitCode(sender.unitCode) };
  const repair = textRepair(identity.encoding);

  if (call.operation === 'status') {
    const ids = call.trackingIds ?? [];
    await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 0, overrides: identity.limits });
    // Only strings that can be tracking ids are looked up; the rest are answered as malformed.
    // Another unit's records are not the caller's to see: answered as unknown.
    const lookup = [...new Set(ids.filter(isTrackingId))];
    const found = new Map<string, TrackingState>();
    (await deps.delivery.track(lookup)).forEach((s, k) => {
      const own = ownTracking(s, identity.unitCode, deps.preparer.currentUnitCode, origin.front);
      if (own) found.set(lookup[k], own);
    });
    const field = call.trackingField ?? '';
    const results = ids.map((id, i) => (isTrackingId(id) ? fromTracking(id, i, found.get(id), field) : malformedTracking(id, i, field)));
    await deps.mismatches?.annotate(results, origin.front);
    return {
      result: { operation: 'status', correlation: call.correlation, results },
      personalIds: [...found.values()].flatMap((s) => (s.soDinhDanh ? [s.soDinhDanh] : [])),
      // The trail links the query to records that exist; what was asked is kept as a count and digest.
      trackingIds: [...found.keys()],
      queued: false,
      auditDetails: { trackingIdsAsked: listDigest(ids) },
      outOfScope: noneOutOfScope(),
    };
  }

  if (call.operation === 'upsertUnit') {
    const read = call.unit!(repair);
    const parsed = read.recordId.length > MAX_CALLER_ID_LENGTH ? { ...read, recordId: echoPreview(read.recordId, MAX_CALLER_ID_LENGTH) } : read;
    await deps.guard.consume({ keyId: identity.keyId, unitCode: identity.unitCode, records: 1, overrides: identity.limits });
    const prepared = await deps.preparer.prepareUnit(parsed, sender);
    const trackingId = newTrackingId();
    const base = { recordId: parsed.recordId, index: 0, trackingId, warnings: prepared.warnings };
    if (!prepared.unit || prepared.errors.length > 0) {
      const scope = prepared.errors.find((e) => e.code === OUT_OF_SCOPE);
      const outOfScope = noneOutOfScope();
      if (scope) noteOutOfScope(outOfScope, origin.front, trackingId, undefined, parsed.draft.maDinhDanh);
      return {
        result: { operation: 'upsertUnit', correlation: call.correlation, results: [{ ...base, status: 'INVALID', errors: prepared.errors, message: scope?.message ?? invalidText(prepared.errors.length) }] },
        personalIds: [],
        trackingIds: [trackingId],
        queued: false,
        outOfScope,
      };
    }
    const outcome = await deps.delivery.submitUnit({ trackingId, recordId: parsed.recordId, unit: prepared.unit, origin: fullOrigin });
    const pseudo: PreparedRecord = { parsed: { ...parsed, index: 0, draft: {} }, errors: [], warnings: prepared.warnings };
    return {
      result: { operation: 'upsertUnit', correlation: call.correlation, results: [fromOutcome(pseudo, trackingId, outcome)] },
      personalIds: [],
      trackingIds: [trackingId],
      queued: outcome.state === 'queued',
      outOfScope: noneOutOfScope(),
    };
  }

  // submitProfiles
  // A record id is echoed per record and stored with it: never longer than a caller id may be.
  const parsed = call.records!(repair).map((p) => (p.recordId.length > MAX_CALLER_ID_LENGTH ? { ...p, recordId: echoPreview(p.recordId, MAX_CALLER_ID_LENGTH) } : p));
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
  const outOfScope = noneOutOfScope();
  for (const i of invalid) {
    const p = prepared[i];
    // A record refused for the gateway's own reasons (no signing certificate for the unit, an
    // internal fault) is not the clerk's data error: it is reported as a gateway error.
    const gatewayFault = p.errors.some((e) => GATEWAY_FAULTS.has(e.code));
    // A record of a unit outside the key's: refused on its own, said so in its summary.
    const scope = p.errors.find((e) => e.code === OUT_OF_SCOPE);
    if (scope) noteOutOfScope(outOfScope, origin.front, trackingIds[i], p.parsed.draft.soDinhDanh, p.parsed.draft.donVi?.maDinhDanh);
    results[i] = {
      recordId: p.parsed.recordId,
      index: p.parsed.index,
      trackingId: trackingIds[i],
      status: gatewayFault ? 'ERROR' : 'INVALID',
      errors: p.errors,
      warnings: p.warnings,
      message: gatewayFault ? `${RECORD_STATUS_TEXT.ERROR}: ${p.errors.find((e) => GATEWAY_FAULTS.has(e.code))!.message}` : (scope?.message ?? invalidText(p.errors.length)),
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
    outOfScope,
  };
}

function noneOutOfScope(): OutOfScope {
  return { trackingIds: [], personalIds: [], units: [] };
}

function noteOutOfScope(into: OutOfScope, front: string, trackingId: string, personalId: string | undefined, unit: unknown): void {
  unitScopeRefusals.inc({ front, level: 'record' });
  into.trackingIds.push(trackingId);
  if (personalId) into.personalIds.push(personalId);
  if (typeof unit === 'string' && !into.units.includes(unit)) into.units.push(unit);
}
