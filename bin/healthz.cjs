#!/usr/bin/env node
// The container's health check: one HTTPS GET of the admin plane's /healthz, exit 0 on 200.
// Deliberately not `ndxp health`: loading the whole CLI every 15 s cost ~1 s of CPU and 140 MB;
// this needs node:https only. Liveness only: the admin plane's certificate is the gateway's own
// CA's, and /healthz asks for no client certificate. CommonJS so it loads without the ESM graph.
'use strict';
const https = require('node:https');

const listen = process.env.NDXP_ADMIN_LISTEN || '127.0.0.1:9443';
const at = listen.lastIndexOf(':');
let host = listen.slice(0, at).replace(/^\[|\]$/g, '');
if (host === '0.0.0.0' || host === '::' || host === '') host = '127.0.0.1';
const port = Number(listen.slice(at + 1));

const req = https.get({ host, port, path: '/healthz', rejectUnauthorized: false, timeout: 4000 }, (res) => {
  res.resume();
  res.on('end', () => process.exit(res.statusCode === 200 ? 0 : 1));
});
req.on('timeout', () => req.destroy(new Error('timeout')));
req.on('error', (err) => {
  process.stderr.write(`KHONG_KHOE: không gọi được https://${host}:${port}/healthz (${err.message})\n`);
  process.exit(1);
});
