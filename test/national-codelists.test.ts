import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTRACTS, REPO } from './helpers/env.js';
import {
  awardCode,
  cccdProvince,
  codeList,
  disciplineCode,
  ethnicCode,
  evaluationGrade,
  genderCode,
  isKnownCode,
  politicalTheory,
  provinceName,
  rank,
  religionCode,
  salaryCoefficients,
} from '../adapters/national/codelists.js';

describe('contract copies', () => {
  it('equal the national contract files byte for byte', () => {
    const shared = path.join(CONTRACTS, 'national');
    const local = path.join(REPO, 'adapters/national/contract');
    for (const f of ['profile.schema.json', 'unit.schema.json']) {
      expect(readFileSync(path.join(local, f), 'utf8'), f).toBe(readFileSync(path.join(shared, f), 'utf8'));
    }
    const lists = readdirSync(path.join(shared, 'codelists'));
    expect(lists.length).toBe(7);
    for (const f of lists) {
      expect(readFileSync(path.join(local, 'codelists', f), 'utf8'), f).toBe(readFileSync(path.join(shared, 'codelists', f), 'utf8'));
    }
  });
});

describe('names typed without Vietnamese marks', () => {
  it('resolve for every entry of every list (no two names collide once marks are dropped)', () => {
    const strip = (s: string) => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/đ/g, 'd').replace(/Đ/g, 'D');
    const lookups = [['dan-toc', ethnicCode], ['ton-giao', religionCode], ['khen-thuong', awardCode], ['ky-luat', disciplineCode]] as const;
    for (const [list, lookup] of lookups) {
      for (const [code, name] of Object.entries(codeList(list))) expect(lookup(strip(name)), `${list} ${name}`).toBe(code);
    }
  });
});

describe('ethnicCode', () => {
  it('matches every listed name exactly and case-insensitively', () => {
    for (const [code, name] of Object.entries(codeList('dan-toc'))) {
      expect(ethnicCode(name), name).toBe(code);
      expect(ethnicCode(name.toUpperCase()), name).toBe(code);
      expect(ethnicCode(name.normalize('NFD')), name).toBe(code);
    }
  });

  it('absorbs spelling variants', () => {
    for (const v of ['Khmer', 'Khơ-me', 'Khơ me', 'khome', 'KHMER', 'Khơme']) expect(ethnicCode(v), v).toBe('05');
    for (const v of ['Mông', "H'Mông", 'HMông', 'Hmong', 'H’mông', 'H mông', 'hmong']) expect(ethnicCode(v), v).toBe('08');
    for (const v of ['Ê Đê', 'Ê-đê', 'Êđê', 'e de', 'Ede']) expect(ethnicCode(v), v).toBe('12');
    for (const v of ['Ba-na', 'Ba Na', 'Bana', 'BA NA']) expect(ethnicCode(v), v).toBe('13');
    for (const v of ['Xơ Đăng', 'Xơ-Đăng', 'xo dang', 'Xơđăng']) expect(ethnicCode(v), v).toBe('14');
    expect(ethnicCode('  Kinh ')).toBe('01');
    expect(ethnicCode('Dân tộc Kinh')).toBe('01');
    expect(ethnicCode('Tay')).toBe('02');
    expect(ethnicCode('Người nước ngoài')).toBe('55');
    expect(ethnicCode('01')).toBe('01');
    expect(ethnicCode('1')).toBe('01');
  });

  it('answers undefined for unknown names and codes', () => {
    expect(ethnicCode('Klingon')).toBeUndefined();
    expect(ethnicCode('77')).toBeUndefined();
    expect(ethnicCode('')).toBeUndefined();
    expect(ethnicCode(undefined)).toBeUndefined();
  });
});

describe('religionCode', () => {
  it('maps names, "none" forms and variants', () => {
    expect(religionCode('Không')).toBe('00');
    expect(religionCode('Không có')).toBe('00');
    expect(religionCode('không')).toBe('00');
    expect(religionCode('Phật giáo')).toBe('01');
    expect(religionCode('Đạo Phật')).toBe('01');
    expect(religionCode('Thiên Chúa giáo')).toBe('02');
    expect(religionCode('Phật giáo Hoà Hảo')).toBe('03');
    expect(religionCode('Tin lành')).toBe('08');
    expect(religionCode("Baha'i")).toBe('12');
    expect(religionCode('Bà-la-môn')).toBe('13');
    for (const [code, name] of Object.entries(codeList('ton-giao'))) expect(religionCode(name), name).toBe(code);
    expect(religionCode('Pastafarian')).toBeUndefined();
  });
});

describe('awardCode and disciplineCode', () => {
  it('maps award names, including longer forms that start with a listed name', () => {
    expect(awardCode('Bằng khen')).toBe('05');
    expect(awardCode('bang khen')).toBe('05');
    expect(awardCode('Bằng khen của Chủ tịch UBND tỉnh')).toBe('05');
    expect(awardCode('Giấy khen')).toBe('06');
    expect(awardCode('Huân chương Lao động hạng Ba')).toBe('00');
    expect(awardCode('Huy chương Chiến sĩ vẻ vang')).toBe('01');
    expect(awardCode('Kỷ niệm chương')).toBe('04');
    expect(awardCode('Nhà giáo Ưu tú')).toBe('02');
    expect(awardCode('Giải thưởng Nhà nước')).toBe('03');
    expect(awardCode('Thư cảm ơn')).toBeUndefined();
  });

  it('maps disciplinary measures', () => {
    for (const [code, name] of Object.entries(codeList('ky-luat'))) expect(disciplineCode(name), name).toBe(code);
    expect(disciplineCode('khien trach')).toBe('01');
    expect(disciplineCode('Cảnh cáo')).toBe('02');
    expect(disciplineCode('Hạ bậc lương')).toBe('05');
    expect(disciplineCode('Tha bổng')).toBeUndefined();
  });
});

describe('ranks and salary tables', () => {
  it('knows ranks and their tables', () => {
    expect(rank('01.003')).toEqual({ ten: 'Chuyên viên', bang: 'A1' });
    expect(rank('99.999')).toBeUndefined();
    expect(rank('toString')).toBeUndefined();
    expect(isKnownCode('ngach', '01.003')).toBe(true);
    expect(isKnownCode('ngach', 'constructor')).toBe(false);
  });

  it('computes coefficients rounded to 2 decimals', () => {
    expect(salaryCoefficients('A1')).toEqual([2.34, 2.67, 3.0, 3.33, 3.66, 3.99, 4.32, 4.65, 4.98]);
    expect(salaryCoefficients('B')).toHaveLength(12);
    expect(salaryCoefficients('B')[11]).toBe(4.06);
    expect(salaryCoefficients('A3.1')).toEqual([6.2, 6.56, 6.92, 7.28, 7.64, 8.0]);
    expect(salaryCoefficients('Z9')).toEqual([]);
  });
});

describe('provinces', () => {
  it('looks up post-2025 provinces and CCCD birth provinces', () => {
    expect(provinceName('01')).toBe('Hà Nội');
    expect(provinceName('24')).toBe('Bắc Ninh');
    expect(provinceName('02')).toBeUndefined();
    expect(cccdProvince('024')).toBe('Bắc Giang');
    expect(cccdProvince('999')).toBeUndefined();
  });
});

describe('enums', () => {
  it('political theory', () => {
    expect(politicalTheory('Sơ cấp')).toBe('SO_CAP');
    expect(politicalTheory('Trung cấp')).toBe('TRUNG_CAP');
    expect(politicalTheory('Cao cấp')).toBe('CAO_CAP');
    expect(politicalTheory('Cử nhân')).toBe('CU_NHAN');
    expect(politicalTheory('Cao cấp lý luận chính trị')).toBe('CAO_CAP');
    expect(politicalTheory('TRUNG_CAP')).toBe('TRUNG_CAP');
    expect(politicalTheory('Tiến sĩ')).toBeUndefined();
  });

  it('evaluation grades', () => {
    expect(evaluationGrade('HTTNV')).toBe('HTTNV');
    expect(evaluationGrade('Hoàn thành xuất sắc nhiệm vụ')).toBe('HTXSNV');
    expect(evaluationGrade('Hoàn thành tốt nhiệm vụ')).toBe('HTTNV');
    expect(evaluationGrade('Hoàn thành nhiệm vụ')).toBe('HTNV');
    expect(evaluationGrade('Không hoàn thành nhiệm vụ')).toBe('KHTNV');
    expect(evaluationGrade('Giỏi')).toBeUndefined();
  });

  it('gender', () => {
    expect(genderCode('Nam')).toBe(1);
    expect(genderCode('Nữ')).toBe(2);
    expect(genderCode('NỮ'.normalize('NFD'))).toBe(2);
    expect(genderCode('M')).toBe(1);
    expect(genderCode('F')).toBe(2);
    expect(genderCode('U')).toBe(0);
    expect(genderCode('X')).toBeUndefined();
  });
});
