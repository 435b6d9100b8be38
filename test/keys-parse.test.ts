/**
 * The small parsers behind keys: token format and hashing, durations, expiry dates, certificate
 * serials and subjects, and the Ministry's CSV/JSON list.
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  formatToken,
  generateKeyId,
  generateSecret,
  hashFromDigest,
  hashSecret,
  parseToken,
  verifySecret,
} from '../gateway/keys/token.js';
import { normalizeSubject, parseDuration, parseExpiry, subjectAttributes, subjectMatches } from '../gateway/keys/parse.js';
import { detectFormat, importStatus, parseImportContent } from '../gateway/keys/import-file.js';
import { normalizeSerial } from '../core/serial.js';

describe('tokens', () => {
  it('key ids and secrets have the documented shape and round-trip through the token', () => {
    const ids = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const keyId = generateKeyId();
      const secret = generateSecret();
      expect(keyId).toMatch(/^KN[A-Z2-7]{12}$/);
      expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(Buffer.from(secret, 'base64url')).toHaveLength(32);
      expect(parseToken(formatToken(keyId, secret))).toEqual({ keyId, secret });
      ids.add(keyId);
    }
    expect(ids.size).toBe(200);
  });

  it('reads bare secrets and refuses what is not a token', () => {
    expect(parseToken('plain-secret-from-the-ministry')).toEqual({ secret: 'plain-secret-from-the-ministry' });
    expect(parseToken('.leading-dot')).toEqual({ secret: '.leading-dot' });
    expect(parseToken('id with space.x')).toBeUndefined();
    expect(parseToken('')).toBeUndefined();
    expect(parseToken('a'.repeat(513))).toBeUndefined();
    expect(parseToken('KN.\u0000')).toBeUndefined();
  });

  it('hashes with the pepper, verifies in constant time, and accepts a SHA-256 given by the Ministry', () => {
    const pepper = Buffer.alloc(32, 7);
    const other = Buffer.alloc(32, 8);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 80 }), (secret) => {
        const stored = hashSecret(pepper, secret);
        expect(stored.startsWith('v1$')).toBe(true);
        expect(stored).not.toContain(secret.length > 3 ? secret : '\u0000');
        expect(verifySecret(pepper, secret, stored)).toBe(true);
        expect(verifySecret(other, secret, stored)).toBe(false);
        expect(verifySecret(pepper, `${secret}x`, stored)).toBe(false);
        expect(hashFromDigest(pepper, createHash('sha256').update(secret, 'utf8').digest())).toBe(stored);
      }),
      { numRuns: 200 },
    );
  });
});

describe('durations and dates', () => {
  it('parses grace periods', () => {
    expect(parseDuration('24h')).toBe(86_400_000);
    expect(parseDuration('30m')).toBe(1_800_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('1.5h')).toBe(5_400_000);
    for (const bad of ['', 'h', '10', 'tomorrow', '-1h', '5 m']) expect(parseDuration(bad), bad).toBeUndefined();
  });

  it('reads expiry as "valid through that day, Vietnam time", in ISO or Vietnamese order', () => {
    expect(new Date(parseExpiry('2026-12-31')!).toISOString()).toBe('2026-12-31T17:00:00.000Z');
    expect(parseExpiry('31/12/2026')).toBe(parseExpiry('2026-12-31'));
    expect(parseExpiry('1/2/2027')).toBe(parseExpiry('2027-02-01'));
    expect(parseExpiry('2026-06-01T08:00:00+07:00')).toBe(Date.parse('2026-06-01T01:00:00Z'));
    for (const bad of ['2026-02-30', '31/02/2026', '2026-13-01', 'next year', '2026-06-01T08:00:00']) expect(parseExpiry(bad), bad).toBeUndefined();
  });
});

describe('certificate bindings', () => {
  it('normalises serials the way Node reports them', () => {
    expect(normalizeSerial('00:0a:1B:2c')).toBe('A1B2C');
    expect(normalizeSerial('0x00FF')).toBe('FF');
    expect(normalizeSerial('000')).toBe('0');
    expect(normalizeSerial('xyz')).toBe('');
  });

  it('reads subjects in RFC 4514, OpenSSL and Node X509Certificate spelling', () => {
    const expected = ['CN=QLCB-A', 'O=Sở Nội vụ, Hà Nội', 'C=VN'];
    expect(subjectAttributes('CN=QLCB-A, O=Sở Nội vụ\\, Hà Nội, C=VN')).toEqual(expected);
    expect(subjectAttributes('/CN=QLCB-A/O=Sở Nội vụ, Hà Nội/C=VN')).toEqual(expected);
    expect(subjectAttributes('CN=QLCB-A\nO=Sở Nội vụ, Hà Nội\nC=VN')).toEqual(expected);
    // A plain join of Node's getPeerCertificate().subject object: commas in values unescaped.
    expect(subjectAttributes('CN=QLCB-A,O=Sở Nội vụ, Hà Nội,C=VN')).toEqual(expected);
    expect(subjectAttributes('cn=QLCB-A')).toEqual(['CN=QLCB-A']);
    expect(subjectAttributes('2.5.4.3=QLCB-A')).toEqual(['2.5.4.3=QLCB-A']);
    expect(subjectAttributes(', x')).toBeUndefined();
    expect(subjectAttributes('no equals sign')).toBeUndefined();
  });

  it('stores a binding that parses back to the same attributes, and matches by inclusion', () => {
    const stored = normalizeSubject('O=Sở Nội vụ\\, Hà Nội, CN=QLCB-A')!;
    const bound = subjectAttributes(stored)!;
    expect(bound.sort()).toEqual(['CN=QLCB-A', 'O=Sở Nội vụ, Hà Nội']);
    expect(subjectMatches(bound, 'C=VN\nO=Sở Nội vụ, Hà Nội\nCN=QLCB-A')).toBe(true);
    expect(subjectMatches(bound, 'C=VN\nCN=QLCB-A')).toBe(false);
    expect(subjectMatches(bound, 'CN=QLCB-A\nO=Sở Nội vụ, Hà Nam')).toBe(false);
    expect(subjectMatches(bound, undefined)).toBe(false);
    // Decomposed (NFD) text in a certificate still matches a binding typed in NFC.
    expect(subjectMatches(['CN=Đức'], 'CN=Đức'.normalize('NFD'))).toBe(true);
  });
});

describe('the Ministry list', () => {
  it('parses CSV with BOM, semicolons, quotes and CRLF, keeping line numbers', () => {
    const rows = parseImportContent('\uFEFFKey ID;Software_ID;status\r\n"BNV-1";"HRM; B";activated\r\n\r\n"BNV-2";"multi\r\nline";cancelled\r\nBNV-3;x;;extra\r\n', 'csv');
    expect(rows).toEqual([
      { row: 1, line: 2, values: { keyId: 'BNV-1', softwareId: 'HRM; B', status: 'activated' } },
      { row: 2, line: 4, values: { keyId: 'BNV-2', softwareId: 'multi\r\nline', status: 'cancelled' } },
      { row: 3, line: 6, values: { keyId: 'BNV-3', softwareId: 'x' }, extraCells: true },
    ]);
  });

  it('refuses unknown columns, missing keyId and broken quoting as a whole file', () => {
    expect(() => parseImportContent('keyId,stauts\nA,cancelled', 'csv')).toThrow(/stauts/);
    expect(() => parseImportContent('softwareId\nA', 'csv')).toThrow(/keyId/);
    expect(() => parseImportContent('keyId\n"A', 'csv')).toThrow(/ngoặc kép/);
    expect(() => parseImportContent('{"items": []}', 'json')).toThrow(/keys/);
    expect(() => parseImportContent('[{"keyId":"A","colour":"red"}]', 'json')).toThrow(/colour/);
    expect(() => parseImportContent('[1]', 'json')).toThrow(/tử thứ 1 không/);
  });

  it('detects the format and maps the Ministry’s status words', () => {
    expect(detectFormat('[]')).toBe('json');
    expect(detectFormat('\uFEFF {"keys":[]}')).toBe('json');
    expect(detectFormat('keyId\nA')).toBe('csv');
    expect(detectFormat('[]', 'list.csv')).toBe('csv');
    expect(importStatus(undefined)).toBeUndefined();
    expect(importStatus('Activated')).toBe('active');
    expect(importStatus('canceled')).toBe('cancelled');
    expect(importStatus('revoked')).toBe('cancelled');
    expect(importStatus('suspended')).toBe('suspended');
    expect(importStatus('paused')).toBeUndefined();
  });
});
