/**
 * The baseline: nginx from Debian's packages terminating mutual TLS with the gateway's own server
 * certificate and CA, and proxying to the same central simulator over mTLS with the gateway's
 * own client identity, through a keep-alive upstream pool. Installed with apt-get when absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, type Server } from './processes.js';

export function nginxBinary(): string | undefined {
  for (const p of ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/bin/nginx']) {
    if (spawnSync(p, ['-v']).status === 0) return p;
  }
  return undefined;
}

/** Installs nginx from Debian when absent; returns the binary and the install command used (if any). */
export function ensureNginx(log: (line: string) => void): { binary: string; installedWith?: string } {
  const found = nginxBinary();
  if (found) return { binary: found };
  const command = 'apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y nginx';
  log(`nginx not found; installing: ${command}`);
  const asRoot = process.getuid?.() === 0;
  execFileSync(asRoot ? 'sh' : 'sudo', asRoot ? ['-c', command] : ['sh', '-c', command], { stdio: 'inherit' });
  const binary = nginxBinary();
  if (!binary) throw new Error('nginx is still not installed after apt-get');
  return { binary, installedWith: command };
}

export function nginxVersion(binary: string): string {
  const r = spawnSync(binary, ['-v'], { encoding: 'utf8' });
  return (r.stderr || r.stdout).trim().replace(/^nginx version:\s*/, '');
}

export interface NginxOptions {
  binary: string;
  dir: string;
  port: number;
  workers: number;
  upstreamPort: number;
  files: { serverCert: string; serverKey: string; ca: string; crl: string; centralCert: string; centralKey: string };
  centralToken: string;
  /** Header the simulator requires on every call (the gateway sends the caller's current unit). */
  unitCode: string;
  logDir: string;
}

export function nginxConfig(o: NginxOptions): string {
  const prefix = path.join(o.dir, 'nginx');
  return `# ndxp-gateway benchmark baseline: terminate mutual TLS, proxy to the central simulator.
daemon off;
master_process on;
worker_processes ${o.workers};
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 8192; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  client_max_body_size 20m;
  client_body_buffer_size 1m;
  upstream central {
    server 127.0.0.1:${o.upstreamPort};
    keepalive 128;
  }
  server {
    listen 127.0.0.1:${o.port} ssl;
    ssl_certificate ${o.files.serverCert};
    ssl_certificate_key ${o.files.serverKey};
    ssl_client_certificate ${o.files.ca};
    ssl_verify_client on;
    ssl_verify_depth 3;
    # The gateway checks revocation on every handshake (its CRLs in the TLS context): so does nginx.
    ssl_crl ${o.files.crl};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:20m;
    ssl_session_timeout 10m;
    ssl_session_tickets on;
    keepalive_requests 1000000;
    keepalive_timeout 30s;
    location / {
      proxy_pass https://central;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host 127.0.0.1:${o.upstreamPort};
      proxy_set_header Authorization "Bearer ${o.centralToken}";
      proxy_set_header X-Ma-Don-Vi "${o.unitCode}";
      proxy_set_header X-Ma-Phan-Mem "nginx-baseline";
      proxy_set_header X-Request-Id $request_id;
      proxy_ssl_certificate ${o.files.centralCert};
      proxy_ssl_certificate_key ${o.files.centralKey};
      proxy_ssl_trusted_certificate ${o.files.ca};
      proxy_ssl_verify on;
      proxy_ssl_verify_depth 3;
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
    }
  }
}
`;
}

export async function startNginx(o: NginxOptions): Promise<Server & { configFile: string }> {
  const prefix = path.join(o.dir, 'nginx');
  for (const d of ['tmp/body', 'tmp/proxy', 'tmp/fastcgi', 'tmp/uwsgi', 'tmp/scgi']) mkdirSync(path.join(prefix, d), { recursive: true });
  const configFile = path.join(prefix, 'nginx.conf');
  writeFileSync(configFile, nginxConfig(o));
  const test = spawnSync(o.binary, ['-t', '-p', prefix, '-c', configFile], { encoding: 'utf8' });
  if (test.status !== 0) throw new Error(`nginx -t failed: ${test.stderr}`);
  const server = await startServer({ name: 'nginx', cmd: o.binary, args: ['-p', prefix, '-c', configFile], logDir: o.logDir, waitForPort: o.port, timeoutMs: 20_000 });
  return { ...server, configFile };
}
