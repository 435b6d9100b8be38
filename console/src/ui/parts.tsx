/** Small shared pieces: error and success notices, status badges, dialogs, form fields. */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef } from 'preact/hooks';
import { ApiError } from '../api/client';
import type { Action } from './hooks';

/** What went wrong, in words, with the machine code beside it. */
export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error as Partial<ApiError> & { message?: string };
  const code = error instanceof ApiError ? error.code : undefined;
  const details = error instanceof ApiError ? (error.body as { errors?: { message?: string; pointer?: string; field?: string; row?: number }[] } | undefined)?.errors : undefined;
  return (
    <div class="notice error" role="alert">
      <strong>Không thực hiện được:</strong> {e.message ?? String(error)}
      {code && (
        <>
          {' '}
          <code class="code">{code}</code>
        </>
      )}
      {error instanceof ApiError && error.status > 0 && <span class="muted"> (HTTP {error.status})</span>}
      {details && details.length > 0 && (
        <ul>
          {details.slice(0, 20).map((d, i) => (
            <li key={i}>
              {d.row !== undefined && `Dòng ${d.row}: `}
              {d.pointer || d.field ? <code>{d.pointer ?? d.field}</code> : null} {d.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Done({ text }: { text?: string }) {
  if (!text) return null;
  return (
    <div class="notice ok" role="status">
      {text}
    </div>
  );
}

/** Outcome of an action: its error or its success message. */
export function Outcome({ action }: { action: Action }) {
  return (
    <>
      <ErrorBox error={action.error} />
      <Done text={action.done} />
    </>
  );
}

const BADGES: Record<string, [string, string]> = {
  active: ['Đang hoạt động', 'good'],
  suspended: ['Tạm khóa', 'warn'],
  cancelled: ['Đã hủy', 'bad'],
  revoked: ['Đã thu hồi', 'bad'],
  expired: ['Hết hạn', 'bad'],
  'not-yet-valid': ['Chưa có hiệu lực', 'warn'],
  closed: ['Đóng (bình thường)', 'good'],
  open: ['Mở (tạm ngừng gửi)', 'bad'],
  'half-open': ['Nửa mở (đang thử lại)', 'warn'],
  ok: ['Thành công', 'good'],
  refused: ['Bị từ chối', 'bad'],
  failed: ['Thất bại', 'bad'],
  delivered: ['Đã gửi', 'good'],
  queued: ['Đang chờ gửi', 'warn'],
  synced: ['Đã đồng bộ', 'good'],
  accepted: ['Đã nhận', 'good'],
  rejected: ['Bị từ chối', 'bad'],
  dead: ['Gửi lỗi (thư chết)', 'bad'],
};

/** A status word in Vietnamese with its machine value beside it. */
export function Badge({ value }: { value: string }) {
  const [label, tone] = BADGES[value] ?? [value, 'neutral'];
  return (
    <span class={`badge ${tone}`} title={value}>
      {label}
      {label !== value && <span class="badge-code"> {value}</span>}
    </span>
  );
}

/** A modal dialog (native <dialog>: focus stays inside, Escape closes it). */
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose(): void; children: ComponentChildren }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog ref={ref} onClose={onClose} aria-labelledby="dialog-title">
      {open && (
        <>
          <h2 id="dialog-title">{title}</h2>
          {children}
        </>
      )}
    </dialog>
  );
}

export function Field({ label, hint, children }: { label: string; hint?: string; children: ComponentChildren }) {
  return (
    <label class="field">
      <span class="label">{label}</span>
      {children}
      {hint && <span class="hint">{hint}</span>}
    </label>
  );
}

export function Section({ title, actions, children, id }: { title: string; actions?: ComponentChildren; children: ComponentChildren; id?: string }) {
  return (
    <section class="card" aria-labelledby={id}>
      <div class="card-head">
        <h2 id={id}>{title}</h2>
        {actions && <div class="actions">{actions}</div>}
      </div>
      {children}
    </section>
  );
}

export function Loading({ when }: { when: boolean }) {
  return when ? (
    <p class="muted" aria-live="polite">
      Đang tải…
    </p>
  ) : null;
}

/** Horizontal bars: a chart for categories (refusals by reason, queue depth by state). */
export function Bars({ items, label }: { items: { name: string; value: number; note?: string }[]; label: string }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  if (!items.length) return <p class="muted">Không có dữ liệu.</p>;
  return (
    <ul class="bars" aria-label={label}>
      {items.map((i) => (
        <li key={i.name}>
          <span class="bar-name">
            {i.note ? (
              <>
                {i.note} <code class="code">{i.name}</code>
              </>
            ) : (
              <code class="code">{i.name}</code>
            )}
          </span>
          <span class="bar-track" aria-hidden="true">
            <span class="bar-fill" style={{ width: `${(i.value / max) * 100}%` }} />
          </span>
          <span class="bar-value">{i.value.toLocaleString('vi-VN')}</span>
        </li>
      ))}
    </ul>
  );
}
