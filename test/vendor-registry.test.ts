import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { BUILT_IN_FRONTS, createRegistry, frontById, frontForPath, fronts } from '../adapters/registry.js';
import { textRepair } from '../adapters/text/index.js';
import { vendorD } from './fixtures/vendor-d-example/index.js';
import { limits, meta } from './vendor-helpers.js';
import { REPO } from './helpers/env.js';

describe('front registry', () => {
  it('serves the three vendor fronts on their contract paths', () => {
    expect(fronts.map((f) => f.id)).toEqual(expect.arrayContaining(['vendor-a-asmx', 'vendor-b-jaxws', 'vendor-c-xmlpost']));
    expect(frontForPath('/QLCBService.asmx')?.id).toBe('vendor-a-asmx');
    expect(frontForPath('/QLCBService.asmx?WSDL')?.id).toBe('vendor-a-asmx');
    expect(frontForPath('/hrm/sync/v2')?.id).toBe('vendor-b-jaxws');
    expect(frontForPath('/vendor-c/hoso')?.id).toBe('vendor-c-xmlpost');
    expect(frontForPath('/vendor-c/hoso/x')).toBeUndefined();
    expect(frontById('vendor-b-jaxws')?.paths).toEqual(['/hrm/sync/v2']);
  });

  it('registers a fourth vendor with one line: its folder plus an entry in the list', () => {
    const registry = createRegistry([...BUILT_IN_FRONTS, vendorD]);
    const front = registry.frontForPath('/vendor-d/donvi');
    expect(front).toBe(vendorD);
    expect(registry.frontForPath('/QLCBService.asmx')?.id).toBe('vendor-a-asmx');
    const call = front!.readRequest(Buffer.from('{"code":"000.00.00.H06","name":"Sở Nội vụ"}'), meta('/vendor-d/donvi', { 'x-api-key': 'k.s' }), limits());
    expect(call.unit!(textRepair('unicode')).draft).toEqual({ maDinhDanh: '000.00.00.H06', ten: 'Sở Nội vụ' });
  });

  it('is the only place that names the vendor folders', () => {
    // The registry imports each front folder once; no runtime code outside adapters/ reaches into one.
    const source = readFileSync(path.join(REPO, 'adapters/registry.ts'), 'utf8');
    const imports = [...source.matchAll(/from '\.\/(vendor-[^/]+)\/index\.js'/g)].map((m) => m[1]);
    expect(imports).toEqual(['vendor-a-asmx', 'vendor-b-jaxws', 'vendor-c-xmlpost']);
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && /adapters\/vendor-[^'"]*\.js['"]/.test(readFileSync(p, 'utf8'))) offenders.push(path.relative(REPO, p));
      }
    };
    for (const top of ['gateway', 'certs', 'central-sim', 'config']) if (existsSync(path.join(REPO, top))) walk(path.join(REPO, top));
    expect(offenders).toEqual([]);
  });

  it('refuses two fronts on the same path or with the same id', () => {
    expect(() => createRegistry([...BUILT_IN_FRONTS, { ...vendorD, paths: ['/hrm/sync/v2'] }])).toThrow(/claimed by both/);
    expect(() => createRegistry([...BUILT_IN_FRONTS, { ...vendorD, id: 'vendor-a-asmx' }])).toThrow(/registered twice/);
  });

  it('matches the paths of a front that declares them case-insensitive in any case, and only those', () => {
    expect(frontForPath('/qlcbservice.asmx')?.id).toBe('vendor-a-asmx');
    expect(frontForPath('/QLCBSERVICE.ASMX?wsdl')?.id).toBe('vendor-a-asmx');
    expect(frontForPath('/HRM/sync/v2')).toBeUndefined();
    const registry = createRegistry([...BUILT_IN_FRONTS, { ...vendorD, caseInsensitivePaths: true }]);
    expect(registry.frontForPath('/VENDOR-D/DonVi')).toBe(registry.frontById(vendorD.id));
    // A path that differs only in case from a case-insensitive front's path is a collision.
    expect(() => createRegistry([...BUILT_IN_FRONTS, { ...vendorD, paths: ['/qlcbservice.asmx'] }])).toThrow(/case-insensitive/);
    expect(() => createRegistry([{ ...vendorD, paths: ['/qlcbservice.asmx'] }, ...BUILT_IN_FRONTS])).toThrow(/case-insensitive/);
  });
});
