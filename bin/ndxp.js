#!/usr/bin/env node
// The `ndxp` command: a thin launcher for the compiled CLI (npm ci runs the build via `prepare`).
import('../dist/gateway/cli/main.js')
  .then((m) => m.main(process.argv))
  .then(() => {
    // A failed `start` may leave a listener or a timer behind; the process must still end.
    if (process.exitCode) setTimeout(() => process.exit(process.exitCode), 3000).unref();
  })
  .catch((err) => {
    if (err && err.code === 'ERR_MODULE_NOT_FOUND' && String(err.message).includes('dist/gateway/cli')) {
      console.error('ndxp chưa được biên dịch (NOT_BUILT): chạy `npm ci` hoặc `npm run build` trước.');
    } else {
      // No stack trace for an operator: what failed, with a code (main() reports everything else).
      console.error(`Lỗi (LOI_HE_THONG): ${err && err.message ? err.message : String(err)}`);
    }
    process.exit(1);
  });
