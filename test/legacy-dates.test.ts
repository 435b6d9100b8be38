/**
 * Whether a day exists in its month, as the fronts decide it without building a Date (vendor B
 * employee dates, the HoSo dialect's dd/MM/yyyy): the same answers as
 * new Date(Date.UTC(year, month, 0)).getUTCDate() gave, years 0-99 (read by Date.UTC as
 * 1900-1999) included.
 */
import { describe, expect, it } from 'vitest';
import { legacyDate } from '../adapters/legacy-hoso/legacy-forms.js';
import { mapEmployee } from '../adapters/vendor-b-jaxws/employee.js';
import { parseXmlString } from '../adapters/xml/parse.js';
import { limits } from './vendor-helpers.js';

const daysByDate = (y: number, m: number) => new Date(Date.UTC(y, m, 0)).getUTCDate();
const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('days in a month', () => {
  it('HoSo dates: a day exists exactly when it did by Date.UTC', () => {
    for (const y of [0, 4, 99, 100, 400, 1600, 1700, 1900, 1999, 2000, 2023, 2024, 2100, 2400, 9999]) {
      for (let m = 1; m <= 12; m++) {
        for (const d of [28, 29, 30, 31]) {
          const r = legacyDate(`${pad(d, 2)}/${pad(m, 2)}/${pad(y, 4)}`, false);
          expect('value' in r, `${d}/${m}/${y}`).toBe(d <= daysByDate(y, m));
        }
      }
    }
  });

  it('vendor B dates: a day exists exactly when it did by Date.UTC', () => {
    const unicode = (s: string) => s;
    for (const [y, m, d] of [[0, 2, 29], [4, 2, 29], [1900, 2, 29], [2000, 2, 29], [2023, 2, 29], [2024, 2, 29], [2025, 4, 31], [2025, 12, 31], [2100, 2, 29]]) {
      const iso = `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`;
      const el = parseXmlString(`<employee id="E-1"><personal><dob>${iso}</dob></personal></employee>`, limits());
      const r = mapEmployee(el, 0, unicode);
      expect(r.draft.ngaySinh === iso, iso).toBe(d <= daysByDate(y, m));
    }
  });
});
