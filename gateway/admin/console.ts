/**
 * The admin web console (built by Vite from console/ into dist/console) served by the admin plane
 * at `/`, on the same listener and behind the same admin client certificates as the REST API: a
 * browser with an admin's PKCS#12 imported opens it, there is no second login. Anyone else (no
 * certificate, a data-plane client certificate, a revoked admin) gets a short Vietnamese page
 * saying why, not the application. Hashed assets are cached for a year (their name changes with
 * their content); index.html is revalidated every time so a new build is picked up at once.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import express, { Router, type Request, type Response, type NextFunction } from 'express';
import type { AdminCaller } from '../../core/admin-module.js';

/** Where the built console is: dist/console, whether this module runs from sources or from dist/. */
export function consoleRoot(): string | undefined {
  const repo = path.resolve(import.meta.dirname, '../..');
  const candidates = [path.join(repo, 'dist', 'console'), ...(path.basename(repo) === 'dist' ? [path.join(repo, 'console')] : [])];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
}

// Everything the console loads comes from this origin: no CDN, no outside fonts (the dedicated
// network has no internet). uPlot sizes its canvas with inline styles, hence style-src 'unsafe-inline'.
const SECURITY_HEADERS: Record<string, string> = {
  'Content-Security-Policy': "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
};

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function page(status: number, title: string, code: string, text: string): string {
  return `<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body style="font-family:sans-serif;max-width:40rem;margin:3rem auto;line-height:1.5"><h1>${esc(title)}</h1><p>${esc(text)}</p><p>Mã lỗi: <code>${esc(code)}</code> (HTTP ${status})</p></body></html>`;
}

/**
 * GET/HEAD routes for the console; anything under /api stays with the API (its own 404).
 * `resolveCaller` is the admin plane's certificate check, so the console and the API admit
 * exactly the same people.
 */
export function consoleRoutes(resolveCaller: (req: Request) => Promise<AdminCaller | undefined>, root = consoleRoot()): Router {
  const r = Router();
  r.use(async (req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/api/')) return next();
    res.set(SECURITY_HEADERS);
    if (!(await resolveCaller(req))) {
      res
        .status(401)
        .set('Cache-Control', 'no-store')
        .type('html')
        .send(page(401, 'Cần chứng thư số quản trị', 'CHUNG_THU_QUAN_TRI_KHONG_HOP_LE', 'Bảng điều khiển chỉ mở được bằng chứng thư số quản trị hợp lệ (vai trò network-admin hoặc auditor) do CA của cổng kết nối cấp. Hãy nhập tệp PKCS#12 của quản trị viên vào trình duyệt rồi tải lại trang.'));
      return;
    }
    if (!root) {
      res.status(503).set('Cache-Control', 'no-store').type('html').send(page(503, 'Bảng điều khiển chưa được dựng', 'BANG_DIEU_KHIEN_CHUA_DUNG', 'Chạy npm run build (hoặc npm ci) để dựng bảng điều khiển vào dist/console.'));
      return;
    }
    next();
  });
  if (!root) return r;
  r.use(
    '/assets',
    express.static(path.join(root, 'assets'), { index: false, fallthrough: false, immutable: true, maxAge: '365d' }),
  );
  r.use(express.static(root, { index: false, setHeaders: (res) => res.setHeader('Cache-Control', 'no-cache') }));
  // Client-side routes (/keys, /audit, …): the single-page application answers them.
  r.use((req: Request, res: Response, next: NextFunction) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || req.path.startsWith('/api/') || path.extname(req.path)) return next();
    res.set('Cache-Control', 'no-cache').sendFile(path.join(root, 'index.html'));
  });
  return r;
}
