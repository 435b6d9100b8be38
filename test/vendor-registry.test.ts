import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { BUILT_IN_FRONTS, createRegistry, frontById, frontForPath, fronts, registerFront } from '../adapters/registry.js';
import { textRepair } from '../adapters/text/index.js';
import { register as registerKeysCli } from '../gateway/keys/cli.js';
import { createKey } from '../gateway/keys/service.js';
import { cliHost } from '../gateway/cli/verbs.js';
import { vendorD } from './fixtures/vendor-d-example/index.js';
import { limits, meta } from './vendor-helpers.js';
import { REPO, cleanup } from './helpers/env.js';
import { startHarness } from './helpers/gateway.js';

afterAll(cleanup);

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

  it('gives a registered fourth front connection keys, `ndxp keys create --vendor` help and the admin OpenAPI enums, with nothing changed outside its folder', async () => {
    const h = await startHarness();
    const spec = { softwareId: 'PM-D', unitCode: '000.00.00.H06', vendor: vendorD.id };
    // Not registered yet: no key can be issued for it.
    await expect(createKey(h.ctx, spec, 'test')).rejects.toThrow(/Giao diện kết nối không hợp lệ/);

    registerFront(vendorD); // the one registration line (BUILT_IN_FRONTS in adapters/registry.ts)

    // Keys: issued with the operations the front declares, and nothing else allowed.
    const key = await createKey(h.ctx, spec, 'test');
    expect(key).toMatchObject({ vendor: 'vendor-d-example', operations: ['upsertUnit'], allOperations: true });
    await expect(createKey(h.ctx, { ...spec, operations: 'submitProfiles' }, 'test')).rejects.toThrow(/Thao tác không hợp lệ cho giao diện vendor-d-example/);

    // The data plane serves it through the real pipeline with such a key.
    const client = await h.legacyClient({ vendor: vendorD.id, unitCode: '000.00.00.H06', softwareId: 'PM-D2' });
    const created = h.sim.stats().units.created;
    const res = await client.request(`${h.url}/vendor-d/donvi`, {
      headers: { 'content-type': 'application/json', 'x-api-key': client.connectionKey },
      body: JSON.stringify({ code: '000.09.31.H06', name: 'Phòng mới', parent: '000.00.00.H06', level: 2, since: '2025-07-01' }),
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text)).toMatchObject({ status: 'SYNCED', errors: [] });
    expect(h.sim.stats().units.created).toBe(created + 1);

    // CLI help names it among the vendors.
    const program = new Command('ndxp');
    registerKeysCli(program, cliHost);
    const create = program.commands.find((c) => c.name() === 'keys')!.commands.find((c) => c.name() === 'create')!;
    expect(create.options.find((o) => o.long === '--vendor')!.description).toBe('giao diện kết nối: vendor-a-asmx | vendor-b-jaxws | vendor-c-xmlpost | json | excel | vendor-d-example');
    expect(create.helpInformation()).toContain('vendor-d-example');

    // The admin plane's OpenAPI document lists it wherever a vendor is named.
    const admin = await h.adminClient('auditor');
    const openapi = JSON.parse((await admin.request(`${h.adminUrl}/openapi.json`)).text) as { paths: Record<string, any> };
    const keys = openapi.paths['/api/v1/admin/keys'];
    const expected = ['vendor-a-asmx', 'vendor-b-jaxws', 'vendor-c-xmlpost', 'json', 'excel', 'vendor-d-example'];
    expect(keys.post.requestBody.content['application/json'].schema.properties.vendor.enum).toEqual(expected);
    expect(keys.get.parameters.find((p: { name: string }) => p.name === 'vendor').schema.enum).toEqual(expected);
    expect(keys.get.responses['200'].content['application/json'].schema.items.properties.vendor.enum).toEqual(expected);
  });
});
