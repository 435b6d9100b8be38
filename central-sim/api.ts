/**
 * The central database's synchronisation API (contracts: central-api.openapi.yaml), as one
 * synchronous function from a fully read request to an answer. Synchronous on purpose: SQLite
 * calls are synchronous, so the idempotency lookup, the version check, the write and the stored
 * answer happen without any other request interleaving, which is what makes "exactly once"
 * hold under concurrency without locks.
 *
 * Transport concerns (TLS, faults, timing, lost answers) live in server.ts.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { loi, type ChiTietLoi, type LoiBody } from './messages.js';
import { listMatchingResults, listUnitProfiles } from './reconciliation.js';
import { canonicalJson, type SignatureVerifier } from './signature.js';
import { recordBam, type SimStore } from './store.js';
import { profileSchemaErrors, unitSchemaErrors } from './validation.js';

export type Operation =
  | 'upsertProfile'
  | 'upsertProfiles'
  | 'getProfile'
  | 'upsertUnit'
  | 'getUnitTree'
  // contract 1.1
  | 'listUnitProfiles'
  | 'listMatchingResults';

export interface ApiRequest {
  method: string;
  /** Decoded path, without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface ApiResponse {
  status: number;
  /** Serialised JSON. */
  body: string;
  headers?: Record<string, string>;
  /** A write transaction committed while answering (what a lost answer would hide). */
  committed: boolean;
  operation?: Operation;
}

export interface ApiOptions {
  /** Refuse records whose donVi, and units whose parent, the simulator does not know (422 MA_KHONG_TON_TAI). */
  requireKnownUnits?: boolean;
  /** Most records in one profiles:batch (the contract says 500). */
  maxBatch?: number;
}

type KetQua = {
  trangThai: 'DA_TAO' | 'DA_CAP_NHAT' | 'KHONG_DOI' | 'PHIEN_BAN_CU' | 'KHONG_HOP_LE';
  soDinhDanh?: string;
  maDinhDanh?: string;
  phienBan?: string;
  loi?: ChiTietLoi[];
};

interface WriteMeta {
  idempotencyKey: string;
  requestId?: string;
  maDonVi: string;
}

const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * A comparable form of an RFC 3339 instant: UTC with nine fractional digits, so that string order
 * is time order and "+07:00" and "Z" spellings of one instant compare equal.
 */
export function versionKey(dateTime: string): string | undefined {
  const m = RFC3339.exec(dateTime);
  if (!m) return undefined;
  const ms = Date.parse(`${m[1]}T${m[2]}${m[4].toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  const frac = (m[3] ?? '').padEnd(9, '0');
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, `.${frac}Z`);
}

const json = (status: number, body: unknown, committed = false, headers?: Record<string, string>): ApiResponse => ({
  status,
  body: JSON.stringify(body),
  committed,
  headers,
});

const error = (status: number, body: LoiBody): ApiResponse => json(status, body);

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function route(method: string, path: string): { op: Operation; id?: string } | { status: 404 | 405 } {
  const parts = path.split('/');
  // ['', 'api', 'v1', ...]
  if (parts[1] !== 'api' || parts[2] !== 'v1') return { status: 404 };
  const rest = parts.slice(3);
  const want = (m: string, r: { op: Operation; id?: string }) => (method === m ? r : ({ status: 405 } as const));
  if (rest.length === 1 && rest[0] === 'profiles') return want('POST', { op: 'upsertProfile' });
  if (rest.length === 1 && rest[0] === 'profiles:batch') return want('POST', { op: 'upsertProfiles' });
  if (rest.length === 2 && rest[0] === 'profiles' && rest[1]) return want('GET', { op: 'getProfile', id: rest[1] });
  if (rest.length === 2 && rest[0] === 'units' && rest[1]) return want('PUT', { op: 'upsertUnit', id: rest[1] });
  if (rest.length === 3 && rest[0] === 'units' && rest[1] && rest[2] === 'tree') return want('GET', { op: 'getUnitTree', id: rest[1] });
  if (rest.length === 3 && rest[0] === 'units' && rest[1] && rest[2] === 'profiles') return want('GET', { op: 'listUnitProfiles', id: rest[1] });
  if (rest.length === 1 && rest[0] === 'doi-soat') return want('GET', { op: 'listMatchingResults' });
  return { status: 404 };
}

/** A record's canonical JSON in two parts: what its signature covers, and the signature. */
interface RecordCanonical {
  unsigned: string;
  signature: string;
}

/**
 * The canonical text a request's idempotency hash is taken over. Records are canonicalised in
 * two parts so that the signature check reuses the part it verifies instead of canonicalising
 * every record twice. Parts are joined with newlines, which canonical JSON never contains raw,
 * and tagged, so different bodies never produce the same text.
 */
interface RequestCanonical {
  text: string;
  /** Per record (a single upsert has one), when the body has the record shape. */
  records?: RecordCanonical[];
  /** The whole body, when it was canonicalised as one value. */
  whole?: string;
}

function recordCanonical(record: Record<string, unknown>): RecordCanonical {
  const { chuKySo, ...unsigned } = record;
  return { unsigned: canonicalJson(unsigned), signature: chuKySo === undefined ? '-' : canonicalJson(chuKySo) };
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function requestCanonical(op: Operation, body: unknown): RequestCanonical {
  const recordText = (r: RecordCanonical) => `${r.unsigned}\n${r.signature}`;
  if (op === 'upsertProfile' && isPlainObject(body)) {
    const record = recordCanonical(body);
    return { text: `record\n${recordText(record)}`, records: [record] };
  }
  if (op === 'upsertProfiles' && isPlainObject(body) && Array.isArray(body.hoSo) && Object.keys(body).length === 1) {
    const items = body.hoSo as unknown[];
    if (items.every(isPlainObject)) {
      const records = items.map((item) => recordCanonical(item as Record<string, unknown>));
      return { text: `batch\n${records.map(recordText).join('\n')}`, records };
    }
  }
  const whole = canonicalJson(body);
  return { text: `value\n${whole}`, whole };
}

const WRITES: ReadonlySet<Operation> = new Set(['upsertProfile', 'upsertProfiles', 'upsertUnit']);

export function createCentralApi(store: SimStore, verifier: SignatureVerifier, options: ApiOptions = {}) {
  const maxBatch = options.maxBatch ?? 500;

  /** Schema, then version, then signature: the first failing stage is reported. */
  function checkProfile(record: unknown, canonical: RecordCanonical | undefined): { errors: ChiTietLoi[]; signature: boolean; version?: string } {
    const schema = profileSchemaErrors(record);
    if (schema.length > 0) return { errors: schema, signature: false };
    const r = record as Record<string, unknown> & { ngayCapNhat: string; donVi: { maDinhDanh: string } };
    const version = versionKey(r.ngayCapNhat);
    if (!version) {
      return { errors: [{ truong: '/ngayCapNhat', ma: 'KHONG_HOP_LE', moTa: 'Ngày cập nhật không phải thời điểm RFC 3339 hợp lệ' }], signature: false };
    }
    if (options.requireKnownUnits && !store.getUnit(r.donVi.maDinhDanh)) {
      return {
        errors: [{ truong: '/donVi/maDinhDanh', ma: 'MA_KHONG_TON_TAI', moTa: `Mã đơn vị ${r.donVi.maDinhDanh} không có trong cây đơn vị` }],
        signature: false,
      };
    }
    const sig = verifier.check(r, canonical?.unsigned);
    if (sig.length > 0) return { errors: sig, signature: true };
    return { errors: [], signature: false, version };
  }

  /** Applies one checked record; must run inside store.transaction(). */
  function applyProfile(
    record: Record<string, unknown>,
    bodyText: string,
    version: string,
    canonical: RecordCanonical | undefined,
    meta: WriteMeta,
    now: number,
  ): KetQua {
    const soDinhDanh = record.soDinhDanh as string;
    const ngayCapNhat = record.ngayCapNhat as string;
    const maDonVi = (record.donVi as { maDinhDanh: string }).maDinhDanh;
    const stored = store.getProfile(soDinhDanh);
    let trangThai: KetQua['trangThai'];
    let phienBan = ngayCapNhat;
    // The inventory's `bam` is over what the signature covers, which the checks already canonicalised.
    const bam = () => recordBam((canonical ?? recordCanonical(record)).unsigned);
    if (!stored) {
      store.insertProfile({ soDinhDanh, ngayCapNhat, versionKey: version, maDonVi, body: bodyText, bam: bam() }, now);
      trangThai = 'DA_TAO';
    } else if (version > stored.versionKey) {
      store.updateProfile({ soDinhDanh, ngayCapNhat, versionKey: version, maDonVi, body: bodyText, bam: bam() }, now);
      trangThai = 'DA_CAP_NHAT';
    } else {
      trangThai = version === stored.versionKey ? 'KHONG_DOI' : 'PHIEN_BAN_CU';
      phienBan = stored.ngayCapNhat;
    }
    const applied = trangThai === 'DA_TAO' || trangThai === 'DA_CAP_NHAT';
    store.journal(
      { kind: 'profile', id: soDinhDanh, version, outcome: trangThai, applied, idempotencyKey: meta.idempotencyKey, requestId: meta.requestId, maDonVi: meta.maDonVi },
      now,
    );
    store.bump(COUNTER_OF[trangThai]);
    if (applied) store.bump('applied.profiles');
    return { trangThai, soDinhDanh, phienBan };
  }

  function recordRejection(record: unknown, signature: boolean, meta: WriteMeta, now: number): void {
    store.bump(signature ? 'profiles.signatureFailures' : 'profiles.invalid');
    const id = (record as { soDinhDanh?: unknown } | null)?.soDinhDanh;
    if (typeof id === 'string') {
      store.journal(
        { kind: 'profile', id, version: null, outcome: 'KHONG_HOP_LE', applied: false, idempotencyKey: meta.idempotencyKey, requestId: meta.requestId, maDonVi: meta.maDonVi },
        now,
      );
    }
  }

  function upsertProfile(parsed: unknown, bodyText: string, meta: WriteMeta, requestHash: string, canonical: RequestCanonical): ApiResponse {
    const now = Date.now();
    const check = checkProfile(parsed, canonical.records?.[0]);
    if (check.errors.length > 0) {
      store.transaction(() => recordRejection(parsed, check.signature, meta, now));
      return error(422, loi(check.signature ? 'CHU_KY_SAI' : 'KHONG_HOP_LE', check.errors, { trangThai: 'KHONG_HOP_LE' }));
    }
    const record = parsed as Record<string, unknown>;
    return store.transaction(() => {
      const result = applyProfile(record, bodyText, check.version!, canonical.records?.[0], meta, now);
      const res =
        result.trangThai === 'PHIEN_BAN_CU'
          ? json(
              409,
              loi('PHIEN_BAN_CU', [{ truong: '/ngayCapNhat', ma: 'PHIEN_BAN_CU', moTa: `Phiên bản đang lưu: ${result.phienBan}` }], {
                trangThai: 'PHIEN_BAN_CU',
                soDinhDanh: result.soDinhDanh,
                phienBan: result.phienBan,
              }),
            )
          : json(result.trangThai === 'DA_TAO' ? 201 : 200, result);
      store.putIdempotency(meta.idempotencyKey, { requestHash, status: res.status, answer: res.body }, now);
      res.committed = true;
      return res;
    });
  }

  function upsertProfiles(parsed: unknown, meta: WriteMeta, requestHash: string, canonical: RequestCanonical): ApiResponse {
    const now = Date.now();
    const body = parsed as { hoSo?: unknown } | null;
    const problems: ChiTietLoi[] = [];
    if (!body || typeof body !== 'object' || Array.isArray(body)) {
      problems.push({ truong: '', ma: 'KHONG_HOP_LE', moTa: 'Nội dung phải là đối tượng {"hoSo": [...]}' });
    } else {
      for (const k of Object.keys(body)) {
        if (k !== 'hoSo') problems.push({ truong: `/${k}`, ma: 'KHONG_HOP_LE', moTa: `Trường ${k} không có trong cấu trúc quy định` });
      }
      if (!Array.isArray(body.hoSo)) problems.push({ truong: '/hoSo', ma: body.hoSo === undefined ? 'THIEU_TRUONG' : 'KHONG_HOP_LE', moTa: 'hoSo phải là danh sách hồ sơ' });
      else if (body.hoSo.length < 1 || body.hoSo.length > maxBatch) {
        problems.push({ truong: '/hoSo', ma: 'KHONG_HOP_LE', moTa: `Mỗi lần gửi từ 1 đến ${maxBatch} hồ sơ (nhận được ${body.hoSo.length})` });
      }
    }
    if (problems.length > 0) {
      return error(400, loi('DU_LIEU_KHONG_HOP_LE', problems));
    }
    const items = (body as { hoSo: unknown[] }).hoSo;
    // CPU work (schema, signatures) first, then one short transaction for all writes.
    const checks = items.map((item, i) => checkProfile(item, canonical.records?.[i]));
    return store.transaction(() => {
      const ketQua: KetQua[] = items.map((item, i) => {
        const check = checks[i];
        if (check.errors.length > 0) {
          recordRejection(item, check.signature, meta, now);
          const id = (item as { soDinhDanh?: unknown } | null)?.soDinhDanh;
          return { trangThai: 'KHONG_HOP_LE', ...(typeof id === 'string' ? { soDinhDanh: id } : {}), loi: check.errors };
        }
        return applyProfile(item as Record<string, unknown>, JSON.stringify(item), check.version!, canonical.records?.[i], meta, now);
      });
      const res = json(200, { ketQua });
      store.putIdempotency(meta.idempotencyKey, { requestHash, status: res.status, answer: res.body }, now);
      res.committed = true;
      return res;
    });
  }

  function upsertUnit(pathCode: string, parsed: unknown, meta: WriteMeta, requestHash: string, canonical: RequestCanonical): ApiResponse {
    const now = Date.now();
    const errors = unitSchemaErrors(parsed);
    const unit = parsed as { maDinhDanh: string; maDonViCha?: string; ngayCapNhat?: string };
    let version: string | null = null;
    if (errors.length === 0) {
      if (unit.maDinhDanh !== pathCode) {
        errors.push({ truong: '/maDinhDanh', ma: 'KHONG_KHOP', moTa: `Mã đơn vị trong nội dung (${unit.maDinhDanh}) khác mã trên đường dẫn (${pathCode})` });
      }
      if (unit.ngayCapNhat !== undefined) {
        version = versionKey(unit.ngayCapNhat) ?? null;
        if (!version) errors.push({ truong: '/ngayCapNhat', ma: 'KHONG_HOP_LE', moTa: 'Ngày cập nhật không phải thời điểm RFC 3339 hợp lệ' });
      }
      if (unit.maDonViCha !== undefined) {
        if (unit.maDonViCha === unit.maDinhDanh || isAncestorOf(unit.maDinhDanh, unit.maDonViCha)) {
          errors.push({ truong: '/maDonViCha', ma: 'KHONG_HOP_LE', moTa: 'Đơn vị cha tạo thành vòng lặp trong cây đơn vị' });
        } else if (options.requireKnownUnits && !store.getUnit(unit.maDonViCha)) {
          errors.push({ truong: '/maDonViCha', ma: 'MA_KHONG_TON_TAI', moTa: `Đơn vị cha ${unit.maDonViCha} không có trong cây đơn vị` });
        }
      }
    }
    if (errors.length > 0) {
      store.bump('units.invalid');
      return error(422, loi('DON_VI_KHONG_HOP_LE', errors, { trangThai: 'KHONG_HOP_LE' }));
    }
    const bodyHash = sha256(canonical.whole ?? canonicalJson(parsed));
    return store.transaction(() => {
      const stored = store.getUnit(unit.maDinhDanh);
      let trangThai: KetQua['trangThai'];
      const row = {
        maDinhDanh: unit.maDinhDanh,
        maDonViCha: unit.maDonViCha ?? null,
        ngayCapNhat: unit.ngayCapNhat ?? null,
        versionKey: version,
        bodyHash,
        body: JSON.stringify(parsed),
      };
      if (!stored) {
        store.insertUnit(row, now);
        trangThai = 'DA_TAO';
      } else if (version !== null && stored.versionKey !== null) {
        trangThai = version > stored.versionKey ? 'DA_CAP_NHAT' : version === stored.versionKey ? 'KHONG_DOI' : 'PHIEN_BAN_CU';
      } else {
        // Without versions on both sides, the content decides whether anything changed.
        trangThai = bodyHash === stored.bodyHash ? 'KHONG_DOI' : 'DA_CAP_NHAT';
      }
      if (trangThai === 'DA_CAP_NHAT') store.updateUnit(row, now);
      const applied = trangThai === 'DA_TAO' || trangThai === 'DA_CAP_NHAT';
      store.journal(
        { kind: 'unit', id: unit.maDinhDanh, version, outcome: trangThai, applied, idempotencyKey: meta.idempotencyKey, requestId: meta.requestId, maDonVi: meta.maDonVi },
        now,
      );
      store.bump(UNIT_COUNTER_OF[trangThai]);
      if (applied) store.bump('applied.units');
      const phienBan = applied ? (unit.ngayCapNhat ?? undefined) : (stored?.ngayCapNhat ?? undefined);
      const result: KetQua = { trangThai, maDinhDanh: unit.maDinhDanh, ...(phienBan ? { phienBan } : {}) };
      const res =
        trangThai === 'PHIEN_BAN_CU'
          ? json(409, loi('PHIEN_BAN_CU', [{ truong: '/ngayCapNhat', ma: 'PHIEN_BAN_CU', moTa: `Phiên bản đang lưu: ${phienBan}` }], { ...result }))
          : json(trangThai === 'DA_TAO' ? 201 : 200, result);
      store.putIdempotency(meta.idempotencyKey, { requestHash, status: res.status, answer: res.body }, now);
      res.committed = true;
      return res;
    });
  }

  function isAncestorOf(code: string, start: string): boolean {
    // Walks up from `start`; true when `code` is met, i.e. making `start` the parent of `code` closes a loop.
    const seen = new Set<string>();
    let current: string | null | undefined = start;
    while (current && !seen.has(current)) {
      if (current === code) return true;
      seen.add(current);
      current = store.getUnit(current)?.maDonViCha;
    }
    return false;
  }

  function getProfile(id: string): ApiResponse {
    const stored = /^[0-9]{12}$/.test(id) ? store.getProfile(id) : undefined;
    if (!stored) return error(404, loi('KHONG_TIM_THAY', [{ truong: '/soDinhDanh', ma: 'KHONG_TIM_THAY', moTa: `Không có hồ sơ số định danh ${id}` }]));
    return { status: 200, body: stored.body, committed: false };
  }

  function getUnitTree(id: string, since: string | null): ApiResponse {
    let sinceMs: number | undefined;
    if (since !== null) {
      sinceMs = versionKey(since) ? Date.parse(since) : NaN;
      if (Number.isNaN(sinceMs)) {
        return error(400, loi('THAM_SO_KHONG_HOP_LE', [{ truong: 'since', ma: 'KHONG_HOP_LE', moTa: 'since phải là thời điểm RFC 3339 có múi giờ' }]));
      }
    }
    const root = store.getUnit(id);
    if (!root) return error(404, loi('KHONG_TIM_THAY', [{ truong: '/maDinhDanh', ma: 'KHONG_TIM_THAY', moTa: `Không có đơn vị ${id}` }]));
    // Breadth-first: every unit comes after its parent.
    const bodies: string[] = [];
    const seen = new Set<string>([root.maDinhDanh]);
    const queue = [root];
    for (let i = 0; i < queue.length; i++) {
      const unit = queue[i];
      if (sinceMs === undefined || unit.changedAt >= sinceMs) bodies.push(unit.body);
      for (const child of store.childUnits(unit.maDinhDanh)) {
        if (seen.has(child.maDinhDanh)) continue;
        seen.add(child.maDinhDanh);
        queue.push(child);
      }
    }
    return { status: 200, body: `{"donVi":[${bodies.join(',')}]}`, committed: false };
  }

  function handle(req: ApiRequest): ApiResponse {
    const r = route(req.method, req.path);
    if ('status' in r) {
      return r.status === 404 ? error(404, loi('KHONG_TIM_THAY_DUONG_DAN')) : error(405, loi('PHUONG_THUC_KHONG_HO_TRO'));
    }
    const res = dispatch(req, r.op, r.id ?? '');
    res.operation = r.op;
    return res;
  }

  function dispatch(req: ApiRequest, op: Operation, id: string): ApiResponse {
    const auth = header(req.headers, 'authorization');
    if (!auth || !/^Bearer\s+\S+/i.test(auth)) {
      return error(401, loi('CHUA_XAC_THUC'));
    }
    if (op === 'getUnitTree') return getUnitTree(id, req.query.get('since'));
    const maDonVi = header(req.headers, 'x-ma-don-vi')?.trim();
    if (!maDonVi) return error(400, loi('THIEU_MA_DON_VI'));
    if (op === 'getProfile') return getProfile(id);
    if (op === 'listUnitProfiles' || op === 'listMatchingResults') {
      const answer = op === 'listUnitProfiles' ? listUnitProfiles(store, id, req.query) : listMatchingResults(store, req.query);
      return json(answer.status, answer.body);
    }

    // Writes.
    const idempotencyKey = header(req.headers, 'idempotency-key');
    if (!idempotencyKey || idempotencyKey.length < 16 || idempotencyKey.length > 128) {
      return error(400, loi('KHOA_LUY_DANG_KHONG_HOP_LE'));
    }
    const contentType = header(req.headers, 'content-type');
    if (contentType && !/^application\/([a-z0-9.+-]*\+)?json\b/i.test(contentType)) {
      return error(400, loi('KIEU_NOI_DUNG_KHONG_HO_TRO'));
    }
    const text = req.body.toString('utf8');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return error(400, loi('JSON_KHONG_HOP_LE'));
    }
    // The same body means the same JSON value: a caller that re-serialises a stored record with
    // another key order or spacing (e.g. from a PostgreSQL jsonb column) is still replaying.
    let canonical: RequestCanonical;
    try {
      canonical = requestCanonical(op, parsed);
    } catch {
      return error(400, loi('JSON_KHONG_HOP_LE', [{ truong: '', ma: 'KHONG_HOP_LE', moTa: 'Chuỗi chứa ký tự Unicode không hợp lệ (ký tự thay thế đơn lẻ)' }]));
    }
    const requestHash = sha256(`${req.method} ${req.path}\n${canonical.text}`);
    const previous = store.getIdempotency(idempotencyKey);
    if (previous) {
      if (previous.requestHash !== requestHash) {
        store.bump('idempotency.conflicts');
        return error(422, loi('KHOA_TRUNG', [{ truong: 'Idempotency-Key', ma: 'KHOA_TRUNG', moTa: 'Khóa đã dùng với nội dung khác' }]));
      }
      store.bump('idempotency.replays');
      return { status: previous.status, body: previous.answer, committed: false, headers: { 'idempotent-replay': 'true' } };
    }
    const meta: WriteMeta = { idempotencyKey, maDonVi, requestId: header(req.headers, 'x-request-id') };
    if (op === 'upsertProfile') return upsertProfile(parsed, text, meta, requestHash, canonical);
    if (op === 'upsertProfiles') return upsertProfiles(parsed, meta, requestHash, canonical);
    return upsertUnit(id, parsed, meta, requestHash, canonical);
  }

  return { handle, isWrite: (op: Operation | undefined) => op !== undefined && WRITES.has(op) };
}

export type CentralApi = ReturnType<typeof createCentralApi>;

const COUNTER_OF: Record<KetQua['trangThai'], string> = {
  DA_TAO: 'profiles.created',
  DA_CAP_NHAT: 'profiles.updated',
  KHONG_DOI: 'profiles.unchanged',
  PHIEN_BAN_CU: 'profiles.stale',
  KHONG_HOP_LE: 'profiles.invalid',
};

const UNIT_COUNTER_OF: Record<KetQua['trangThai'], string> = {
  DA_TAO: 'units.created',
  DA_CAP_NHAT: 'units.updated',
  KHONG_DOI: 'units.unchanged',
  PHIEN_BAN_CU: 'units.stale',
  KHONG_HOP_LE: 'units.invalid',
};

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
