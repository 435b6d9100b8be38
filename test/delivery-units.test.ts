/**
 * The pure parts of delivery: the contract's answer classification, Retry-After, backoff bounds,
 * idempotency keys, and the circuit breaker's state machine (with an injected clock).
 */
import { describe, expect, it } from 'vitest';
import { classifyKetQua, classifyNetworkError, classifyResponse, parseRetryAfter } from '../gateway/delivery/central-client.js';
import { backoffDelay } from '../gateway/delivery/sender.js';
import { batchIdempotencyKey, recordIdempotencyKey, stableJson, versionMillis } from '../gateway/delivery/idempotency.js';
import { CircuitBreaker } from '../gateway/delivery/breaker.js';
import { jobIdFor } from '../gateway/delivery/queue.js';

describe('classification by the central API contract', () => {
  it.each([
    [200, { trangThai: 'DA_CAP_NHAT' }, 'delivered'],
    [201, { trangThai: 'DA_TAO' }, 'delivered'],
    [200, { trangThai: 'KHONG_DOI' }, 'delivered'],
    [409, { ma: 'PHIEN_BAN_CU', moTa: 'Cũ' }, 'stale'],
    [400, { ma: 'KHONG_HOP_LE', moTa: 'Sai' }, 'rejected'],
    [401, { ma: 'CHUA_XAC_THUC', moTa: 'x' }, 'rejected'],
    [403, { ma: 'KHONG_DUOC_PHEP', moTa: 'x' }, 'rejected'],
    [422, { ma: 'KHOA_TRUNG', moTa: 'x' }, 'rejected'],
    [404, { ma: 'KHONG_TIM_THAY', moTa: 'x' }, 'rejected'],
    [429, { ma: 'QUA_TAI', moTa: 'x' }, 'retry'],
    [503, { ma: 'BAO_TRI', moTa: 'x' }, 'retry'],
    [500, { ma: 'LOI', moTa: 'x' }, 'retry'],
    [502, undefined, 'retry'],
    [504, undefined, 'retry'],
    [302, undefined, 'retry'],
  ] as const)('HTTP %i → %s', (status, body, outcome) => {
    expect(classifyResponse(status, body as never).outcome).toBe(outcome);
  });

  it('keeps the central codes and messages, and Retry-After for 429/503', () => {
    const r = classifyResponse(503, { ma: 'BAO_TRI', moTa: 'Đang bảo trì' }, '7');
    expect(r).toMatchObject({ outcome: 'retry', status: 503, code: 'BAO_TRI', retryAfterMs: 7000 });
    const rej = classifyResponse(422, { ma: 'KHONG_HOP_LE', moTa: 'Sai', loi: [{ truong: '/luong/heSo', ma: 'KHONG_HOP_LE', moTa: 'Hệ số sai' }] });
    expect(rej).toMatchObject({ outcome: 'rejected', code: 'KHONG_HOP_LE' });
    expect(rej.outcome === 'rejected' && rej.message).toContain('/luong/heSo');
  });

  it('per-record batch results and unreadable 2xx answers', () => {
    expect(classifyKetQua(200, { trangThai: 'PHIEN_BAN_CU' }).outcome).toBe('stale');
    expect(classifyKetQua(200, { trangThai: 'KHONG_HOP_LE', loi: [{ ma: 'CHU_KY_SAI', moTa: 'x' }] })).toMatchObject({ outcome: 'rejected', code: 'CHU_KY_SAI' });
    // The write may have happened: resending with the same key is the safe choice.
    expect(classifyResponse(200, undefined).outcome).toBe('retry');
  });

  it('network errors and timeouts are retried', () => {
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ outcome: 'retry', code: 'ECONNREFUSED', network: true });
    expect(classifyNetworkError(new DOMException('t', 'TimeoutError'))).toMatchObject({ outcome: 'retry', code: 'HET_THOI_GIAN' });
  });

  it('Retry-After as seconds or an HTTP date', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000)).toBe(5000);
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect(parseRetryAfter('soon')).toBeUndefined();
  });
});

describe('backoff', () => {
  it('full jitter stays within [0, min(max, base·2^(n-1))]', () => {
    expect(backoffDelay(1, 1000, 300_000, () => 0.999999)).toBeLessThan(1000);
    expect(backoffDelay(4, 1000, 300_000, () => 0.999999)).toBeLessThan(8000);
    expect(backoffDelay(4, 1000, 300_000, () => 0.999999)).toBeGreaterThan(7000);
    expect(backoffDelay(40, 1000, 300_000, () => 0.999999)).toBeLessThan(300_000);
    expect(backoffDelay(40, 1000, 300_000, () => 0)).toBe(0);
  });
});

describe('idempotency keys', () => {
  const record = { soDinhDanh: '024085001234', ngayCapNhat: '2025-08-20T10:15:00+07:00', hoVaTen: 'Nguyễn Văn Đức', luong: { heSo: 3, bac: 3 } };
  it('stable across key order, different for another body or version, within the contract length', () => {
    const k = recordIdempotencyKey('profile', record.soDinhDanh, record.ngayCapNhat, record);
    expect(k.length).toBeGreaterThanOrEqual(16);
    expect(k.length).toBeLessThanOrEqual(128);
    expect(recordIdempotencyKey('profile', record.soDinhDanh, record.ngayCapNhat, { luong: { bac: 3, heSo: 3 }, hoVaTen: 'Nguyễn Văn Đức', ngayCapNhat: record.ngayCapNhat, soDinhDanh: record.soDinhDanh })).toBe(k);
    expect(recordIdempotencyKey('profile', record.soDinhDanh, record.ngayCapNhat, { ...record, hoVaTen: 'Khác' })).not.toBe(k);
    expect(recordIdempotencyKey('profile', record.soDinhDanh, '2025-08-21T10:15:00+07:00', record)).not.toBe(k);
    expect(batchIdempotencyKey([k, 'b'])).not.toBe(batchIdempotencyKey(['b', k]));
    expect(stableJson({ b: 1, a: [1, { d: 2, c: undefined }] })).toBe('{"a":[1,{"d":2}],"b":1}');
    expect(versionMillis('2025-08-20T10:15:00+07:00')).toBe(Date.parse('2025-08-20T03:15:00Z'));
  });

  it('job ids never contain ":" and differ for different tracking ids', () => {
    expect(jobIdFor('a:b')).not.toContain(':');
    expect(jobIdFor('a:b')).not.toBe(jobIdFor('a%3Ab'));
    expect(jobIdFor('123')).not.toMatch(/^\d+$/);
  });
});

describe('circuit breaker', () => {
  it('opens after N consecutive retryable failures, lets one probe through after the open time, closes on success', () => {
    let now = 0;
    const changes: string[] = [];
    const b = new CircuitBreaker('n1', 3, 1000, (s) => changes.push(s.state), () => now);
    expect(b.tryAcquire()).toBe(true);
    b.failure('x');
    b.failure('x');
    b.success(); // a final answer resets the count
    b.failure('x');
    b.failure('x');
    expect(b.blocking).toBe(false);
    b.failure('x');
    expect(b.blocking).toBe(true);
    expect(b.tryAcquire()).toBe(false);
    now = 999;
    expect(b.tryAcquire()).toBe(false);
    now = 1000;
    expect(b.tryAcquire()).toBe(true); // the probe
    expect(b.tryAcquire()).toBe(false); // only one
    expect(b.blocking).toBe(true);
    b.failure('still down');
    expect(b.snapshot()).toMatchObject({ state: 'open', probeAt: 2000 });
    now = 2000;
    expect(b.tryAcquire()).toBe(true);
    b.success();
    expect(b.snapshot().state).toBe('closed');
    expect(b.tryAcquire()).toBe(true);
    expect(changes).toEqual(['closed', 'open', 'half-open', 'open', 'half-open', 'closed']);
  });

  it('a longer Retry-After keeps it open longer', () => {
    let now = 0;
    const b = new CircuitBreaker('n1', 1, 1000, () => undefined, () => now);
    b.failure('503', 30_000);
    now = 29_999;
    expect(b.tryAcquire()).toBe(false);
    now = 30_000;
    expect(b.tryAcquire()).toBe(true);
  });
});
