/**
 * Vendor B's map from national JSON Pointers to the employee's own fields, which names the field
 * of every issue: built on demand (employee.ts), the same map as when it was written for every
 * record. Pinned on the contract sample.
 */
import { describe, expect, it } from 'vitest';
import { mapEmployee } from '../adapters/vendor-b-jaxws/employee.js';
import { parseXmlString } from '../adapters/xml/parse.js';
import { limits, sample } from './vendor-helpers.js';

const employees = () => parseXmlString(sample('vendor-b-jaxws', 'samples/records.payload.xml').toString('utf8'), limits()).children.filter((c) => c.local === 'employee');

describe('vendor B field map', () => {
  it('maps every pointer the sample employees touch to the employee’s own path', () => {
    const [first, second] = employees().map((e, i) => mapEmployee(e, i, (s) => s));
    expect(Object.keys(first.fields)).toHaveLength(61);
    expect(first.fields).toMatchObject({
      '/nguon/maDonViGui': 'orgCode',
      '/ngaySinh': 'employee[1]/personal/dob',
      '/noiSinh/maTinh': 'employee[1]/personal/birthPlace/@province',
      '/ngachChucDanh/ngayBoNhiem': 'employee[1]/employment/rank/@appointedOn',
      '/chucVu/1/tuNgay': 'employee[1]/employment/positions/position[2]/@since',
      '/quaTrinhCongTac/0/noiDung': 'employee[1]/history/entry[1]',
      '/quaTrinhCongTac/1/denThang': 'employee[1]/history/entry[2]/@to',
      '/danhGia/1/xepLoai': 'employee[1]/evaluations/evaluation[2]/@grade',
      '/ngayCapNhat': 'employee[1]/modified',
    });
    expect(Object.keys(second.fields)).toHaveLength(35);
    expect(second.fields['/chucVu']).toBe('employee[2]/employment/positions');
    expect(second.fields['/chucVu/0']).toBeUndefined();
    // The same object each time it is asked for; a copy of the record carries it as data.
    expect(first.fields).toBe(first.fields);
    expect({ ...first }.fields).toEqual(first.fields);
  });

  it('names the employee’s field in the issues it finds while mapping', () => {
    const doc = sample('vendor-b-jaxws', 'samples/records.payload.xml').toString('utf8').replace('<dob>1990-07-05</dob>', '<dob>1990-02-30</dob>').replace('grade="HTXSNV"', 'grade="X"');
    const [e] = parseXmlString(doc, limits()).children.filter((c) => c.local === 'employee');
    const r = mapEmployee(e, 0, (s) => s);
    expect(r.errors.map((i) => i.field)).toEqual(['employee[1]/personal/dob', 'employee[1]/evaluations/evaluation[1]/@grade']);
  });
});
