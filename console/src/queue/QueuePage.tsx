/**
 * Queue: depth by state, the oldest waiting record, every node's circuit breaker, and the dead
 * letters with their reasons: replay one or all, or discard one with a reason (recorded in the
 * audit trail by the gateway).
 */
import { useState } from 'preact/hooks';
import { get, post } from '../api/client';
import type { DeadLetter, QueueStatus } from '../api/types';
import { duration, num, vnDateTime } from '../lib/format';
import { useAction, useApi } from '../ui/hooks';
import { Badge, Bars, Dialog, ErrorBox, Field, Outcome, Section } from '../ui/parts';
import { ConfirmButtons, Head, LoadState } from '../ui/controls';

export function QueuePage() {
  const status = useApi(() => get<QueueStatus>('/queue/status'));
  const dead = useApi(() => get<{ dead: DeadLetter[] }>('/queue/dead', { limit: 500 }));
  const action = useAction();
  const [discarding, setDiscarding] = useState<DeadLetter>();
  const reload = () => {
    status.reload();
    dead.reload();
  };
  const replay = (body: { trackingId: string } | { all: true }) =>
    action.run(async () => {
      const r = await post<{ count: number }>('/queue/replay', { json: body });
      reload();
      return `Đã đưa ${r.count} hồ sơ trở lại hàng đợi để gửi lại.`;
    });
  const s = status.data;
  return (
    <div>
      <Section
        title="Tình trạng hàng đợi"
        id="h-status"
        actions={
          <button type="button" onClick={reload}>
            Làm mới
          </button>
        }
      >
        <LoadState loaded={status} />
        {s && (
          <div class="grid2">
            <div>
              <Bars label="Số hồ sơ theo trạng thái" items={Object.entries(s.depth).map(([name, value]) => ({ name, value }))} />
            </div>
            <dl class="details">
              <dt>Đang chờ gửi</dt>
              <dd data-testid="queue-waiting">{num(s.waiting)}</dd>
              <dt>Chờ lâu nhất</dt>
              <dd>{s.oldestWaiting ? `${duration(s.oldestWaiting.ageSeconds)} — ${s.oldestWaiting.trackingId} (từ ${vnDateTime(s.oldestWaiting.createdAt)})` : 'không có'}</dd>
              <dt>Tốc độ gửi (hồ sơ/phút)</dt>
              <dd>
                1 phút: {num(s.ratePerMinute.last1)}; 5 phút: {num(s.ratePerMinute.last5)}; 15 phút: {num(s.ratePerMinute.last15)}
              </dd>
              <dt>Redis</dt>
              <dd>
                {s.redis.reachable ? (
                  `kết nối được${s.redis.jobs ? ` (${Object.entries(s.redis.jobs).map(([k, v]) => `${k}: ${v}`).join(', ')})` : ''}`
                ) : (
                  <>
                    {s.redis.message} <code class="code">{s.redis.code}</code>
                  </>
                )}
              </dd>
              <dt>Cầu dao</dt>
              <dd>
                {s.breakers.length === 0
                  ? 'chưa có nút nào báo'
                  : s.breakers.map((b) => (
                      <div key={b.node}>
                        {b.node}: <Badge value={b.state} /> {b.lastError && <span class="muted">{b.lastError}</span>}
                      </div>
                    ))}
              </dd>
            </dl>
          </div>
        )}
      </Section>
      <Section
        title="Thư chết: hồ sơ gửi không thành công"
        id="h-dead"
        actions={
          <button type="button" class="primary" disabled={action.busy || !dead.data?.dead.length} onClick={() => replay({ all: true })}>
            Gửi lại tất cả
          </button>
        }
      >
        <Outcome action={action} />
        <ErrorBox error={dead.error} />
        {dead.data &&
          (dead.data.dead.length === 0 ? (
            <p class="muted">Không có thư chết.</p>
          ) : (
            <table>
              <Head columns={['Mã theo dõi', 'Loại', 'Hồ sơ', 'Đơn vị', 'Số lần gửi', 'Lý do', 'Từ lúc', 'Thao tác']} />
              <tbody>
                {dead.data.dead.map((d) => (
                  <tr key={d.trackingId} data-tracking={d.trackingId}>
                    <td>
                      <code>{d.trackingId}</code>
                    </td>
                    <td>{d.kind === 'profile' ? 'Hồ sơ cán bộ' : 'Đơn vị'}</td>
                    <td>{d.soDinhDanh ?? d.maDinhDanh ?? '—'}</td>
                    <td>{d.unitCode}</td>
                    <td>{d.attempts}</td>
                    <td>
                      {d.reason}
                      {d.lastError && <div class="muted">{d.lastError}</div>}
                    </td>
                    <td>{vnDateTime(d.deadSince)}</td>
                    <td class="row-actions">
                      <button type="button" disabled={action.busy} onClick={() => replay({ trackingId: d.trackingId })}>
                        Gửi lại
                      </button>
                      <button type="button" class="danger" onClick={() => setDiscarding(d)}>
                        Bỏ
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ))}
      </Section>
      <Dialog title={discarding ? `Bỏ hồ sơ ${discarding.trackingId}` : ''} open={Boolean(discarding)} onClose={() => setDiscarding(undefined)}>
        {discarding && (
          <DiscardForm
            letter={discarding}
            onCancel={() => setDiscarding(undefined)}
            onDone={() => {
              setDiscarding(undefined);
              reload();
            }}
          />
        )}
      </Dialog>
    </div>
  );
}

function DiscardForm({ letter, onCancel, onDone }: { letter: DeadLetter; onCancel(): void; onDone(): void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          await post(`/queue/${encodeURIComponent(letter.trackingId)}/discard`, { json: { reason } });
          onDone();
        });
      }}
    >
      <p>Hồ sơ sẽ không được gửi nữa. Lý do được ghi vào nhật ký kiểm toán.</p>
      <Field label="Lý do">
        <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </Field>
      <ErrorBox error={action.error} />
      <ConfirmButtons onCancel={onCancel} tone="danger" disabled={action.busy}>
        Bỏ hồ sơ
      </ConfirmButtons>
    </form>
  );
}
