/**
 * The admin web console: one page per operator task, over the admin REST API, in Vietnamese.
 * Who you are comes from your browser's admin client certificate (GET /whoami); the pages and
 * buttons you see follow your role, and the API refuses anything else anyway.
 */
import { render } from 'preact';
import { useEffect } from 'preact/hooks';
import { get } from './api/client';
import type { Caller, Role } from './api/types';
import { Link, usePath } from './router';
import { useApi } from './ui/hooks';
import { ErrorBox, Loading } from './ui/parts';
import { OverviewPage } from './overview/OverviewPage';
import { KeysPage } from './keys/KeysPage';
import { CertsPage } from './certs/CertsPage';
import { UnitsPage } from './units/UnitsPage';
import { QueuePage } from './queue/QueuePage';
import { AuditPage } from './audit/AuditPage';
import './styles.css';

interface PageDef {
  path: string;
  title: string;
  roles: Role[];
  render(): preact.JSX.Element;
}

// As on the API: a network-admin sees and does everything; an auditor reads traffic and the
// history of admin actions, and has no page (no button) for an action it may not take.
const PAGES: PageDef[] = [
  { path: '/', title: 'Tổng quan', roles: ['network-admin', 'auditor'], render: () => <OverviewPage /> },
  { path: '/keys', title: 'Mã kết nối', roles: ['network-admin'], render: () => <KeysPage /> },
  { path: '/certs', title: 'Chứng thư số', roles: ['network-admin'], render: () => <CertsPage /> },
  { path: '/units', title: 'Đơn vị', roles: ['network-admin'], render: () => <UnitsPage /> },
  { path: '/queue', title: 'Hàng đợi', roles: ['network-admin'], render: () => <QueuePage /> },
  { path: '/audit', title: 'Nhật ký kiểm toán', roles: ['network-admin', 'auditor'], render: () => <AuditPage /> },
];

export const ROLE_NAMES: Record<Role, string> = { 'network-admin': 'Quản trị mạng', auditor: 'Kiểm toán viên' };

function App() {
  const path = usePath();
  const me = useApi(() => get<Caller>('/whoami'));
  const page = PAGES.find((p) => p.path === path);
  useEffect(() => {
    document.title = `${page?.title ?? 'Không tìm thấy'} — Cổng kết nối NDXP`;
    document.getElementById('main')?.focus();
  }, [page]);
  const role = me.data?.role;
  return (
    <>
      <a class="skip" href="#main">
        Bỏ qua, tới nội dung chính
      </a>
      <header class="top">
        <div class="brand">
          <span class="logo" aria-hidden="true">
            ★
          </span>{' '}
          Cổng kết nối NDXP <span class="muted">· Bảng điều khiển quản trị</span>
        </div>
        {me.data && (
          <div class="who" title={me.data.actor}>
            <span class="badge neutral">{ROLE_NAMES[me.data.role]}</span> <span class="actor">{cnOf(me.data.actor)}</span>
          </div>
        )}
      </header>
      <div class="layout">
        <nav aria-label="Các trang">
          <ul>
            {PAGES.filter((p) => role && p.roles.includes(role)).map((p) => (
              <li key={p.path}>
                <Link href={p.path} current={p.path === path}>
                  {p.title}
                </Link>
              </li>
            ))}
          </ul>
          <p class="tz muted">Giờ hiển thị: giờ Việt Nam (UTC+7)</p>
        </nav>
        <main id="main" tabIndex={-1}>
          <Loading when={me.loading && !me.data} />
          <ErrorBox error={me.error} />
          {role && !page && (
            <div class="notice error" role="alert">
              Không có trang {path}. <code class="code">KHONG_TIM_THAY</code>
            </div>
          )}
          {role && page && !page.roles.includes(role) && (
            <div class="notice error" role="alert">
              Trang «{page.title}» không dành cho vai trò {ROLE_NAMES[role]}. <code class="code">KHONG_DUOC_PHEP</code>
            </div>
          )}
          {role && page && page.roles.includes(role) && (
            <>
              <h1>{page.title}</h1>
              {page.render()}
            </>
          )}
        </main>
      </div>
    </>
  );
}

function cnOf(subject: string): string {
  return /(?:^|,)CN=([^,]+)/.exec(subject)?.[1] ?? subject;
}

render(<App />, document.getElementById('app')!);
