/**
 * The simulator keeps what it stored and what it counted across a restart on the same data
 * directory, and `ndxp central-sim` starts it from the gateway's configuration and PKI.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { runCentralSim } from '../central-sim/cli.js';
import { simControl } from '../central-sim/control.js';
import { startCentralSim } from '../central-sim/server.js';
import { UsageError } from '../core/cli-output.js';
import { quietLogger } from '../core/log.js';
import { REPO, cleanup, tempDir } from './helpers/env.js';
import { profile, simClient, simPki, uniqueKey, type SimPki } from './central-sim.helpers.js';

let pki: SimPki;
const T1 = '2025-08-20T10:15:00+07:00';
const T2 = '2025-08-21T10:15:00+07:00';

beforeAll(async () => {
  pki = await simPki();
}, 60_000);

afterAll(cleanup);

describe('restart on the same data directory', () => {
  it('keeps records, units, idempotency answers, journal and counters', async () => {
    const dataDir = tempDir();
    const start = () => startCentralSim({ config: pki.config, dataDir, listen: '127.0.0.1:0', controlListen: false, log: quietLogger() });

    let sim = await start();
    let api = simClient(sim.url, pki.client);
    const lostKey = uniqueKey('lost');
    const lost = profile(pki.signer, '100000000001', T1);
    await sim.setFaults({ failAfterCommit: { count: 1 } });
    expect((await api.call('POST', '/api/v1/profiles', { body: lost, key: lostKey })).status).toBe(500);
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '100000000002', T1) })).status).toBe(201);
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '100000000002', T2) })).status).toBe(200);
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '100000000002', T1) })).status).toBe(409);
    const unit = { maDinhDanh: '000.00.00.H11', ten: 'Tỉnh thử', cap: 1, hieuLucTu: '2025-07-01', ngayCapNhat: T1 };
    expect((await api.call('PUT', '/api/v1/units/000.00.00.H11', { body: unit })).status).toBe(201);
    expect((await api.call('GET', '/api/v1/profiles/100000000009')).status).toBe(404);
    const before = sim.stats();
    await api.close();
    await sim.close();

    sim = await start();
    api = simClient(sim.url, pki.client);
    try {
      const after = sim.stats();
      const { startedAt: _a, ...beforeRest } = before;
      const { startedAt: _b, ...afterRest } = after;
      expect(afterRest).toEqual(beforeRest);
      expect(after.appliedBySoDinhDanh).toEqual({ '100000000001': 1, '100000000002': 2 });
      expect(after.faultsInjected.failAfterCommit).toBe(1);
      expect(after.requests.byStatus['404']).toBe(1);

      // The answer lost before the restart is replayed after it.
      const replay = await api.call('POST', '/api/v1/profiles', { body: lost, key: lostKey });
      expect(replay.status).toBe(201);
      expect(replay.headers['idempotent-replay']).toBe('true');
      const conflict = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '100000000001', T2), key: lostKey });
      expect(conflict.json.ma).toBe('KHOA_TRUNG');
      expect((await api.call('GET', '/api/v1/profiles/100000000002')).json.ngayCapNhat).toBe(T2);
      expect((await api.call('GET', '/api/v1/units/000.00.00.H11/tree')).json.donVi).toEqual([unit]);
      expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '100000000002', T1) })).status).toBe(409);
      expect(sim.journal({ kind: 'profile', id: '100000000002' }).map((e) => e.outcome)).toEqual(['DA_TAO', 'DA_CAP_NHAT', 'PHIEN_BAN_CU', 'PHIEN_BAN_CU']);
      expect(sim.stats().duplicatesApplied).toBe(0);
    } finally {
      await api.close();
      await sim.close();
    }
  });
});

describe('shutdown', () => {
  it('lets an answer in flight finish, then refuses new connections', async () => {
    const dataDir = tempDir();
    const sim = await startCentralSim({ config: pki.config, dataDir, listen: '127.0.0.1:0', controlListen: false, faults: { latencyMs: 300 }, log: quietLogger() });
    const api = simClient(sim.url, pki.client);
    const inFlight = api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '140000000001', T1) });
    // Close only once the request is inside the simulator (counted, now in its added latency).
    while (sim.stats({ summary: true }).requests.total < 1) await new Promise((r) => setTimeout(r, 10));
    const closing = sim.close();
    expect((await inFlight).status).toBe(201);
    await closing;
    await expect(api.call('GET', '/api/v1/profiles/140000000001')).rejects.toThrow();
    const again = await startCentralSim({ config: pki.config, dataDir, listen: '127.0.0.1:0', controlListen: false, log: quietLogger() });
    expect(again.stats().appliedBySoDinhDanh).toEqual({ '140000000001': 1 });
    await again.close();
  });
});

describe('ndxp central-sim', () => {
  it('starts from the configuration and the gateway PKI, prints where it listens (--json), stops on request', async () => {
    const configFile = path.join(tempDir(), 'ndxp.json');
    writeFileSync(configFile, JSON.stringify({ dataDir: pki.config.dataDir, centralListen: '127.0.0.1:0' }));
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      out.push(String(chunk));
      return true;
    });
    const stop = new AbortController();
    let running: Promise<void>;
    let printed: { url: string; port: number; controlUrl: string; dataDir: string; dataFile: string };
    try {
      running = runCentralSim({ config: configFile, json: true, faults: '{"status429":{"count":1}}', onlyGateway: true }, stop.signal);
      const end = Date.now() + 30_000;
      while (!out.join('').includes('}') && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    } finally {
      spy.mockRestore();
    }
    printed = JSON.parse(out.join(''));
    expect(printed.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(printed.port).toBeGreaterThan(0);
    expect(printed.dataDir).toBe(pki.config.dataDir);
    expect(printed.dataFile).toBe(path.join(pki.config.dataDir, 'central-sim.sqlite'));

    // The gateway's own central-client identity is accepted; the server cert verifies against the gateway CA.
    const api = simClient(printed.url, pki.client);
    const first = await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '110000000001', T1) });
    expect(first.status).toBe(429); // the fault given with --faults
    expect((await api.call('POST', '/api/v1/profiles', { body: profile(pki.signer, '110000000001', T1) })).status).toBe(201);
    // --only-gateway: a legacy software's certificate from the same CA is not the gateway.
    const legacy = simClient(printed.url, { ...pki.legacyClient, ca: pki.client.ca });
    expect((await legacy.call('GET', '/api/v1/profiles/110000000001')).status).toBe(403);
    await legacy.close();
    const control = simControl(printed.controlUrl);
    expect((await control.stats()).appliedBySoDinhDanh).toEqual({ '110000000001': 1 });
    await control.close();
    await api.close();

    stop.abort();
    await running!;
    // Stopped: the port is closed.
    const again = simClient(printed.url, pki.client);
    await expect(again.call('GET', '/api/v1/profiles/110000000001')).rejects.toThrow();
  }, 60_000);

  it('as a process (the built `ndxp` binary): a SIGKILL loses no answered write; SIGTERM exits 0', async () => {
    const configFile = path.join(tempDir(), 'ndxp.json');
    // Same data directory as the gateway (PKI and central-sim.sqlite), as an operator runs it.
    writeFileSync(configFile, JSON.stringify({ dataDir: pki.config.dataDir }));
    const launch = async (): Promise<{ child: ChildProcess; url: string }> => {
      const child = spawn(process.execPath, [path.join(REPO, 'bin/ndxp.js'), 'central-sim', '--json', '--config', configFile, '--listen', '127.0.0.1:0', '--no-control'], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NDXP_DATA_DIR: '' },
      });
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.trim().endsWith('}')) resolve(JSON.parse(out).url);
        });
        child.on('exit', (code) => reject(new Error(`ndxp central-sim exited with ${code}: ${out}`)));
      });
      return { child, url };
    };
    const exited = (child: ChildProcess) => new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    let { child, url } = await launch();
    let api = simClient(url, pki.client);
    const key = uniqueKey('killed');
    const rec = profile(pki.signer, '150000000001', T1);
    expect((await api.call('POST', '/api/v1/profiles', { body: rec, key })).status).toBe(201);
    const batch = { hoSo: Array.from({ length: 50 }, (_, i) => profile(pki.signer, `1500000001${String(i).padStart(2, '0')}`, T1)) };
    expect((await api.call('POST', '/api/v1/profiles:batch', { body: batch })).status).toBe(200);
    await api.close();
    const killed = exited(child);
    child.kill('SIGKILL');
    await killed;

    ({ child, url } = await launch());
    api = simClient(url, pki.client);
    try {
      const replay = await api.call('POST', '/api/v1/profiles', { body: rec, key });
      expect(replay.headers['idempotent-replay']).toBe('true');
      const stats = await simControl(url, pki.client).stats();
      const ours = [rec, ...batch.hoSo].map((r) => r.soDinhDanh as string);
      expect(ours.map((id) => stats.appliedBySoDinhDanh![id])).toEqual(ours.map(() => 1));
      expect(stats.duplicatesApplied).toBe(0);
    } finally {
      await api.close();
      const code = exited(child);
      child.kill('SIGTERM');
      expect(await code).toBe(0);
    }
  }, 120_000);

  it('refuses a malformed --faults document as a usage error', async () => {
    await expect(runCentralSim({ faults: '{"status503": "soon"}' })).rejects.toBeInstanceOf(UsageError);
    await expect(runCentralSim({ faults: 'not json' })).rejects.toBeInstanceOf(UsageError);
  });
});
