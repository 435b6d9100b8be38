/**
 * Each data-plane request is one ordered list of stages ended by one epilogue
 * (gateway/pipeline/routes.ts). Proven over real mutual TLS: the README's request flow is the
 * stage list of the running gateway, and a new stage is one object added to a list — it then
 * runs between its neighbours and its refusal is rendered in the caller's protocol, audited
 * and answered with a request id by the same epilogue as every other stage's.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { cleanup } from './helpers/env.js';
import { startHarness, type Harness, type LegacyClient } from './helpers/gateway.js';
import { frontForPath } from '../adapters/registry.js';
import { serverTlsMaterial } from '../certs/material.js';
import { createCertWatcher } from '../certs/watch.js';
import { GatewayError } from '../core/errors.js';
import { startDataPlane, type DataPlane } from '../gateway/dataplane/server.js';
import type { Stage } from '../gateway/pipeline/exchange.js';
import { createPipeline, type Routes } from '../gateway/pipeline/routes.js';

let h: Harness;
let open: LegacyClient;
let closed: LegacyClient;

beforeAll(async () => {
  h = await startHarness({ roles: { dataPlane: true, adminPlane: false, delivery: true } });
  open = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-OPEN' });
  closed = await h.legacyClient({ vendor: 'vendor-a-asmx', softwareId: 'QLCB-CLOSED' });
}, 120_000);

afterAll(cleanup);

const names = (stages: readonly Stage[]) => stages.map((s) => s.name).join(' → ');

function allRoutes(routes: Routes): string[] {
  return [routes.front, ...routes.json.map((j) => j.route), routes.notFound].map((r) => names(r.stages));
}

const TRA_CUU = (key: string) =>
  `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header><XacThuc xmlns="http://qlcb.vendor-a.vn/"><MaKetNoi>${key}</MaKetNoi></XacThuc></soap:Header>` +
  `<soap:Body><TraCuuTrangThai xmlns="http://qlcb.vendor-a.vn/"><maTheoDoi>TD0000000000000000000000001</maTheoDoi></TraCuuTrangThai></soap:Body></soap:Envelope>`;
const SOAP11 = { 'content-type': 'text/xml; charset=utf-8', soapaction: '"http://qlcb.vendor-a.vn/TraCuuTrangThai"' };

describe('the request pipeline', () => {
  it("the README's request flow lists the running gateway's routes, stage by stage", () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const section = readme.slice(readme.indexOf('## How a request flows'), readme.indexOf('| stage |'));
    const documented = section
      .split('\n')
      .map((line) => line.match(/((?:[a-z-]+ → )+[a-z-]+)\s*$/)?.[1])
      .filter((chain): chain is string => chain !== undefined);
    expect(documented).toEqual(allRoutes(h.node.dataPlane!.pipeline.routes));
  });

  describe('a new stage is one object in the stage list', () => {
    let plane: DataPlane;
    let url: string;
    const seen: string[] = [];
    // The whole of a stage: it sees what the stages before it learnt (here the key's identity).
    const closedSoftware: Stage = {
      name: 'closed-software',
      run(x) {
        seen.push(x.identity!.softwareId);
        if (x.identity!.softwareId === 'QLCB-CLOSED') throw new GatewayError('CSDL_TRUNG_UONG_KHONG_SAN_SANG', {}, 'closed by the test stage');
      },
    };

    beforeAll(async () => {
      const routes = h.node.dataPlane!.pipeline.routes;
      const stages = [...routes.front.stages];
      stages.splice(stages.findIndex((s) => s.name === 'authenticate') + 1, 0, closedSoftware); // the one line
      const certs = await createCertWatcher(h.ctx);
      plane = await startDataPlane(
        h.ctx,
        { certs, tlsMaterial: () => serverTlsMaterial(h.ctx, 'dataplane'), frontForPath, pipeline: createPipeline(h.ctx, { ...routes, front: { ...routes.front, stages } }) },
        '127.0.0.1:0',
      );
      url = `https://127.0.0.1:${plane.port}/QLCBService.asmx`;
      return async () => {
        await plane.close();
        certs.stop();
      };
    });

    it('runs after the stages before it and lets the exchange go on', async () => {
      const res = await open.request(url, { headers: SOAP11, body: TRA_CUU(open.connectionKey) });
      expect(res.status).toBe(200);
      expect(res.text).toContain('<MaKetQua>');
      expect(seen).toContain('QLCB-OPEN');
    });

    it("its refusal is the front's SOAP fault with a request id, and the trail's refusal entry names the key", async () => {
      const res = await closed.request(url, { headers: SOAP11, body: TRA_CUU(closed.connectionKey) });
      expect(res.status).toBe(500);
      expect(res.text).toContain('soap:Fault');
      expect(res.text).toContain('CSDL_TRUNG_UONG_KHONG_SAN_SANG');
      const requestId = String(res.headers['x-request-id']);
      expect(requestId).not.toBe('undefined');
      await h.ctx.audit.flush();
      const rows = await h.ctx.store.db.selectFrom('audit_entries').selectAll().where('request_id', '=', requestId).execute();
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ kind: 'refusal', code: 'CSDL_TRUNG_UONG_KHONG_SAN_SANG', key_id: closed.keyId, front: 'vendor-a-asmx', operation: 'TraCuuTrangThai', outcome: 'refused' });
    });

    it("the gateway's own route does not have it", async () => {
      const res = await closed.request(`${h.url}/QLCBService.asmx`, { headers: SOAP11, body: TRA_CUU(closed.connectionKey) });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('CSDL_TRUNG_UONG_KHONG_SAN_SANG');
    });
  });
});
