/**
 * Connection keys: search and filter, create (the secret shown once, with a copy button),
 * suspend, activate, cancel (confirmed: it is final), rotate with a grace period, the Ministry's
 * list imported with a preview first, and the lockouts of key guessing. Every rule (which
 * transitions are allowed, what a valid grace period is) is the API's: the page shows its answer.
 */
import { useState } from 'preact/hooks';
import { del, get, post } from '../api/client';
import type { ImportReport, KeyView, KeyWithSecret, Lockout } from '../api/types';
import { vnDate, vnDateTime } from '../lib/format';
import { bodyRetentions, encodings, keyStatuses, vendors } from '../lib/schema';
import { useAction, useApi } from '../ui/hooks';
import { Badge, Dialog, ErrorBox, Field, Outcome, Section } from '../ui/parts';
import { CloseButton, ConfirmButtons, Head, LoadState, SelectFilter, TextFileInput } from '../ui/controls';

const STATUS_NAMES: Record<string, string> = { active: 'Đang hoạt động', suspended: 'Tạm khóa', cancelled: 'Đã hủy' };

export function KeysPage() {
  const [filter, setFilter] = useState({ status: '', unit: '', vendor: '', software: '' });
  const [applied, setApplied] = useState(filter);
  const keys = useApi(() => get<KeyView[]>('/keys', applied), [applied]);
  const options = useApi(async () => ({ vendors: await vendors(), statuses: await keyStatuses(), encodings: await encodings(), retentions: await bodyRetentions() }));
  const [creating, setCreating] = useState(false);
  const [secret, setSecret] = useState<{ key: KeyWithSecret; title: string }>();
  const [acting, setActing] = useState<{ key: KeyView; verb: 'suspend' | 'cancel' | 'rotate' }>();
  const [detail, setDetail] = useState<KeyView>();
  const action = useAction();

  const activate = (k: KeyView) => action.run(async () => {
    await post(`/keys/${encodeURIComponent(k.keyId)}/activate`);
    keys.reload();
    return `Đã kích hoạt lại mã ${k.keyId}.`;
  });

  return (
    <div>
      <Section
        title="Danh sách mã kết nối"
        id="h-keys"
        actions={
          <button type="button" class="primary" onClick={() => setCreating(true)}>
            Cấp mã mới
          </button>
        }
      >
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            setApplied({ ...filter });
          }}
        >
          <SelectFilter label="Trạng thái" value={filter.status} values={options.data?.statuses} names={STATUS_NAMES} onChange={(status) => setFilter({ ...filter, status })} />
          <Field label="Đơn vị">
            <input value={filter.unit} onInput={(e) => setFilter({ ...filter, unit: (e.target as HTMLInputElement).value })} placeholder="000.00.00.H06" />
          </Field>
          <SelectFilter label="Nhà cung cấp / giao thức" value={filter.vendor} values={options.data?.vendors} onChange={(vendor) => setFilter({ ...filter, vendor })} />
          <Field label="Phần mềm">
            <input value={filter.software} onInput={(e) => setFilter({ ...filter, software: (e.target as HTMLInputElement).value })} placeholder="PM-QLCB-BG" />
          </Field>
          <button type="submit">Tìm</button>
        </form>
        <Outcome action={action} />
        <LoadState loaded={keys} />
        {keys.data && (
          <table class="keys">
            <caption class="muted">{keys.data.length} mã</caption>
            <Head columns={['Mã', 'Phần mềm', 'Đơn vị', 'Giao thức', 'Trạng thái', 'Hết hạn', 'Dùng lần cuối', 'Thao tác']} />
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.keyId} data-key={k.keyId}>
                  <td>
                    <button type="button" class="link" onClick={() => setDetail(k)} aria-label={`Chi tiết mã ${k.keyId}`}>
                      <code>{k.keyId}</code>
                    </button>
                  </td>
                  <td>{k.softwareId}</td>
                  <td>{k.unitCode}</td>
                  <td>{k.vendor}</td>
                  <td>
                    <Badge value={k.status} />
                    {k.expired && <span class="badge bad">hết hạn</span>}
                  </td>
                  <td>{vnDate(k.expiresAt)}</td>
                  <td>{vnDateTime(k.lastUsedAt)}</td>
                  <td class="row-actions">
                    {k.status === 'suspended' && (
                      <button type="button" onClick={() => activate(k)} disabled={action.busy}>
                        Kích hoạt
                      </button>
                    )}
                    {k.status === 'active' && (
                      <button type="button" onClick={() => setActing({ key: k, verb: 'suspend' })}>
                        Tạm khóa
                      </button>
                    )}
                    {k.status !== 'cancelled' && (
                      <>
                        <button type="button" onClick={() => setActing({ key: k, verb: 'rotate' })}>
                          Đổi khóa
                        </button>
                        <button type="button" class="danger" onClick={() => setActing({ key: k, verb: 'cancel' })}>
                          Hủy
                        </button>
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>

      <ImportPanel onApplied={keys.reload} />
      <LockoutsPanel />

      <Dialog title="Cấp mã kết nối mới" open={creating} onClose={() => setCreating(false)}>
        {creating && options.data && (
          <CreateForm
            options={options.data}
            onCancel={() => setCreating(false)}
            onCreated={(k) => {
              setCreating(false);
              setSecret({ key: k, title: `Đã cấp mã ${k.keyId}` });
              keys.reload();
            }}
          />
        )}
      </Dialog>
      <Dialog title={secret?.title ?? ''} open={Boolean(secret)} onClose={() => setSecret(undefined)}>
        {secret && <SecretOnce k={secret.key} onClose={() => setSecret(undefined)} />}
      </Dialog>
      <Dialog title={acting ? VERB_TITLES[acting.verb](acting.key) : ''} open={Boolean(acting)} onClose={() => setActing(undefined)}>
        {acting && (
          <KeyActionForm
            k={acting.key}
            verb={acting.verb}
            onCancel={() => setActing(undefined)}
            onDone={(result) => {
              setActing(undefined);
              keys.reload();
              if (result && 'secret' in result) setSecret({ key: result, title: `Khóa mới của mã ${result.keyId}` });
            }}
          />
        )}
      </Dialog>
      <Dialog title={detail ? `Mã ${detail.keyId}` : ''} open={Boolean(detail)} onClose={() => setDetail(undefined)}>
        {detail && <KeyDetail k={detail} onClose={() => setDetail(undefined)} />}
      </Dialog>
    </div>
  );
}

const VERB_TITLES = {
  suspend: (k: KeyView) => `Tạm khóa mã ${k.keyId}`,
  cancel: (k: KeyView) => `Hủy vĩnh viễn mã ${k.keyId}`,
  rotate: (k: KeyView) => `Đổi khóa bí mật của mã ${k.keyId}`,
};

function KeyActionForm({ k, verb, onCancel, onDone }: { k: KeyView; verb: 'suspend' | 'cancel' | 'rotate'; onCancel(): void; onDone(result?: KeyWithSecret): void }) {
  const [reason, setReason] = useState('');
  const [grace, setGrace] = useState('24h');
  const [confirm, setConfirm] = useState('');
  const action = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const path = `/keys/${encodeURIComponent(k.keyId)}/${verb}`;
      const result = await post<KeyWithSecret | KeyView>(path, { json: verb === 'rotate' ? { grace } : { reason: reason || undefined } });
      onDone(verb === 'rotate' ? (result as KeyWithSecret) : undefined);
    });
  };
  return (
    <form onSubmit={submit}>
      <p>
        Phần mềm <strong>{k.softwareId}</strong>, đơn vị <strong>{k.unitCode}</strong>.
      </p>
      {verb === 'cancel' && (
        <div class="notice warn" role="note">
          Hủy là <strong>vĩnh viễn</strong>: mã này sẽ không bao giờ dùng lại được; phần mềm phải được cấp mã mới. Gõ <code>{k.keyId}</code> để xác nhận.
        </div>
      )}
      {verb === 'rotate' ? (
        <Field label="Thời gian ân hạn cho khóa cũ" hint="Ví dụ 24h, 30m, 7d; 0 = khóa cũ hết hiệu lực ngay">
          <input value={grace} onInput={(e) => setGrace((e.target as HTMLInputElement).value)} required />
        </Field>
      ) : (
        <Field label="Lý do (ghi vào nhật ký)">
          <input value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
        </Field>
      )}
      {verb === 'cancel' && (
        <Field label="Xác nhận mã">
          <input value={confirm} onInput={(e) => setConfirm((e.target as HTMLInputElement).value)} autoComplete="off" />
        </Field>
      )}
      <ErrorBox error={action.error} />
      <ConfirmButtons onCancel={onCancel} tone={verb === 'cancel' ? 'danger' : 'primary'} disabled={action.busy || (verb === 'cancel' && confirm.trim() !== k.keyId)}>
        {verb === 'suspend' ? 'Tạm khóa' : verb === 'cancel' ? 'Hủy vĩnh viễn' : 'Đổi khóa'}
      </ConfirmButtons>
    </form>
  );
}

/** The only time a secret is ever shown: copy it now, it cannot be shown again. */
function SecretOnce({ k, onClose }: { k: KeyWithSecret; onClose(): void }) {
  const [copied, setCopied] = useState<string>();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(k.connectionKey);
      setCopied('Đã sao chép mã kết nối vào bộ nhớ tạm.');
    } catch (err) {
      setCopied(`Không sao chép được (${(err as Error).message}); hãy chọn ô bên trên và sao chép bằng Ctrl+C.`);
    }
  };
  return (
    <div>
      <div class="notice warn" role="alert">
        <strong>Chỉ hiển thị một lần.</strong> Cổng kết nối chỉ lưu mã băm của khóa bí mật: sau khi đóng hộp này không ai xem lại được. Hãy sao chép và chuyển cho cán bộ CNTT của đơn vị qua kênh an toàn.
      </div>
      <Field label="Mã kết nối (cấu hình vào phần mềm)">
        <input class="secret" readOnly value={k.connectionKey} onFocus={(e) => (e.target as HTMLInputElement).select()} data-testid="connection-key" />
      </Field>
      {k.previousSecretValidUntil && <p>Khóa cũ còn dùng được đến {vnDateTime(k.previousSecretValidUntil)}.</p>}
      <div class="actions">
        <button type="button" class="primary" onClick={copy}>
          Sao chép
        </button>
        <button type="button" onClick={onClose}>
          Tôi đã lưu, đóng lại
        </button>
      </div>
      {copied && (
        <p role="status" class="muted">
          {copied}
        </p>
      )}
    </div>
  );
}

interface Options {
  vendors: string[];
  statuses: string[];
  encodings: string[];
  retentions: string[];
}

const LIMIT_LABELS: Record<string, string> = {
  requestsPerSecond: 'Yêu cầu/giây',
  recordsPerSecond: 'Hồ sơ/giây',
  burstSeconds: 'Số giây dồn',
  concurrentPerKey: 'Đồng thời',
};

function CreateForm({ options, onCancel, onCreated }: { options: Options; onCancel(): void; onCreated(k: KeyWithSecret): void }) {
  const [f, setF] = useState<Record<string, string>>({ vendor: options.vendors[0] ?? '', encoding: options.encodings[0] ?? '' });
  const action = useAction();
  const set = (name: string) => (e: Event) => setF({ ...f, [name]: (e.target as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    void action.run(async () => {
      const limits = Object.fromEntries(Object.keys(LIMIT_LABELS).filter((n) => f[`limit.${n}`]).map((n) => [n, Number(f[`limit.${n}`])]));
      const body: Record<string, unknown> = {
        softwareId: f.softwareId,
        unitCode: f.unitCode,
        vendor: f.vendor,
        encoding: f.encoding || undefined,
        certSerial: f.certSerial || undefined,
        expires: f.expires || undefined,
        bodyRetention: f.bodyRetention || undefined,
        contactName: f.contactName || undefined,
        contactAgency: f.contactAgency || undefined,
        contactPhone: f.contactPhone || undefined,
        contactEmail: f.contactEmail || undefined,
        limits: Object.keys(limits).length ? limits : undefined,
      };
      onCreated(await post<KeyWithSecret>('/keys', { json: body }));
    });
  };
  return (
    <form onSubmit={submit} class="form-grid">
      <Field label="Mã phần mềm *">
        <input name="softwareId" value={f.softwareId ?? ''} onInput={set('softwareId')} required />
      </Field>
      <Field label="Mã đơn vị *">
        <input name="unitCode" value={f.unitCode ?? ''} onInput={set('unitCode')} required placeholder="000.00.00.H06" />
      </Field>
      <Field label="Giao thức *">
        <select name="vendor" value={f.vendor} onChange={set('vendor')}>
          {options.vendors.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </Field>
      <Field label="Bảng mã">
        <select name="encoding" value={f.encoding} onChange={set('encoding')}>
          {options.encodings.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </Field>
      <Field label="Hết hạn" hint="dd/MM/yyyy (hết ngày đó, giờ Việt Nam); để trống = không hết hạn">
        <input name="expires" value={f.expires ?? ''} onInput={set('expires')} placeholder="31/12/2026" />
      </Field>
      <Field label="Sê-ri chứng thư gắn với mã" hint="Để trống nếu không ràng buộc">
        <input name="certSerial" value={f.certSerial ?? ''} onInput={set('certSerial')} />
      </Field>
      <Field label="Lưu nội dung trao đổi">
        <select name="bodyRetention" value={f.bodyRetention ?? ''} onChange={set('bodyRetention')}>
          <option value="">Theo cấu hình chung</option>
          {options.retentions.map((v) => (
            <option key={v}>{v}</option>
          ))}
        </select>
      </Field>
      <fieldset>
        <legend>Đầu mối liên hệ</legend>
        <Field label="Họ tên">
          <input name="contactName" value={f.contactName ?? ''} onInput={set('contactName')} />
        </Field>
        <Field label="Cơ quan">
          <input name="contactAgency" value={f.contactAgency ?? ''} onInput={set('contactAgency')} />
        </Field>
        <Field label="Điện thoại">
          <input name="contactPhone" value={f.contactPhone ?? ''} onInput={set('contactPhone')} />
        </Field>
        <Field label="Thư điện tử">
          <input name="contactEmail" value={f.contactEmail ?? ''} onInput={set('contactEmail')} />
        </Field>
      </fieldset>
      <fieldset>
        <legend>Giới hạn riêng (để trống = theo cấu hình chung)</legend>
        {Object.entries(LIMIT_LABELS).map(([n, label]) => (
          <Field key={n} label={label}>
            <input name={`limit.${n}`} inputMode="decimal" value={f[`limit.${n}`] ?? ''} onInput={set(`limit.${n}`)} />
          </Field>
        ))}
      </fieldset>
      <ErrorBox error={action.error} />
      <ConfirmButtons onCancel={onCancel} disabled={action.busy} wide>
        Cấp mã
      </ConfirmButtons>
    </form>
  );
}

function KeyDetail({ k, onClose }: { k: KeyView; onClose(): void }) {
  const rows: [string, string | preact.JSX.Element][] = [
    ['Phần mềm', k.softwareId],
    ['Đơn vị', k.unitCode],
    ['Giao thức / bảng mã', `${k.vendor} / ${k.encoding}`],
    ['Thao tác được phép', k.allOperations ? `tất cả (${k.operations.join(', ')})` : k.operations.join(', ')],
    ['Trạng thái', <Badge value={k.status} />],
    ['Lý do trạng thái', k.statusReason ?? '—'],
    ['Chứng thư gắn kèm', k.certSerial ?? k.certSubject ?? '—'],
    ['Hết hạn', vnDate(k.expiresAt)],
    ['Giới hạn', k.limits ? Object.entries(k.limits).map(([n, v]) => `${LIMIT_LABELS[n] ?? n}: ${v}`).join('; ') : 'theo cấu hình chung'],
    ['Đầu mối', [k.contact.name, k.contact.agency, k.contact.phone, k.contact.email].filter(Boolean).join(' · ') || '—'],
    ['Lưu nội dung', k.bodyRetention ?? 'theo cấu hình chung'],
    ['Nguồn', k.source === 'import' ? 'nhập từ danh sách Bộ Nội vụ' : 'cấp tại cổng'],
    ['Khóa cũ còn hiệu lực đến', vnDateTime(k.previousSecretValidUntil)],
    ['Tạo lúc', vnDateTime(k.createdAt)],
    ['Cập nhật', vnDateTime(k.updatedAt)],
    ['Dùng lần cuối', vnDateTime(k.lastUsedAt)],
  ];
  return (
    <div>
      <dl class="details">
        {rows.map(([t, v]) => (
          <>
            <dt>{t}</dt>
            <dd>{v}</dd>
          </>
        ))}
      </dl>
      <CloseButton onClose={onClose} />
    </div>
  );
}

const ACTION_NAMES: Record<string, string> = { created: 'Thêm mới', updated: 'Cập nhật', cancelled: 'Hủy', unchanged: 'Không đổi' };

/** The Ministry's list: preview (dry run) first, then apply the same content. */
function ImportPanel({ onApplied }: { onApplied(): void }) {
  const [content, setContent] = useState('');
  const [report, setReport] = useState<ImportReport>();
  const action = useAction();
  const run = (dryRun: boolean) =>
    action.run(async () => {
      const t = content.trim();
      const isJson = t.startsWith('[') || t.startsWith('{');
      const r = await post<ImportReport>('/keys/import', { query: { dryRun }, text: { body: content, type: isJson ? 'application/json' : 'text/csv' }, acceptStatus: [422] });
      setReport(r);
      if (!dryRun) onApplied();
      return dryRun ? 'Xem trước xong: chưa có gì thay đổi.' : r.applied ? 'Đã áp dụng danh sách.' : 'Không áp dụng được danh sách.';
    });
  return (
    <Section title="Nhập danh sách mã của Bộ Nội vụ" id="h-import">
      <p class="muted">Tệp CSV hoặc JSON. Xem trước những gì sẽ thay đổi, rồi mới áp dụng.</p>
      <div class="row">
        <TextFileInput
          accept=".csv,.json,text/csv,application/json"
          label="Chọn tệp danh sách"
          onText={(text) => {
            setContent(text);
            setReport(undefined);
          }}
        />
      </div>
      <Field label="Nội dung danh sách">
        <textarea
          rows={5}
          value={content}
          onInput={(e) => {
            setContent((e.target as HTMLTextAreaElement).value);
            setReport(undefined);
          }}
        />
      </Field>
      <div class="actions">
        <button type="button" onClick={() => run(true)} disabled={!content.trim() || action.busy}>
          Xem trước
        </button>
        <button type="button" class="primary" onClick={() => run(false)} disabled={!report?.dryRun || action.busy}>
          Áp dụng
        </button>
      </div>
      <Outcome action={action} />
      {report && (
        <div>
          <p>
            {report.rows} dòng: thêm {report.created}, cập nhật {report.updated}, hủy {report.cancelled}, không đổi {report.unchanged}; lỗi {report.errors.length}.
            {report.containsClearSecrets && <strong> Tệp có khóa bí mật dạng rõ: hãy xóa tệp an toàn.</strong>}
          </p>
          {report.changes.length > 0 && (
            <table>
              <Head columns={['Dòng', 'Mã', 'Thay đổi', 'Trường']} />
              <tbody>
                {report.changes.map((c) => (
                  <tr key={`${c.row}-${c.keyId}`}>
                    <td>{c.row}</td>
                    <td>
                      <code>{c.keyId}</code>
                    </td>
                    <td>{ACTION_NAMES[c.action] ?? c.action}</td>
                    <td>{c.fields?.join(', ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          {report.errors.length > 0 && (
            <ul class="errors">
              {report.errors.map((e, i) => (
                <li key={i}>
                  Dòng {e.row ?? e.line}: {e.field && <code>{e.field}</code>} {e.message}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}

function LockoutsPanel() {
  const list = useApi(() => get<{ lockouts: Lockout[] }>('/lockouts'));
  const action = useAction();
  return (
    <Section
      title="Kết nối bị tạm khóa do nhập sai mã"
      id="h-lockouts"
      actions={
        <button type="button" onClick={list.reload}>
          Làm mới
        </button>
      }
    >
      <ErrorBox error={list.error} />
      <Outcome action={action} />
      {list.data &&
        (list.data.lockouts.length === 0 ? (
          <p class="muted">Không có kết nối nào đang bị tạm khóa.</p>
        ) : (
          <table>
            <Head columns={['Đối tượng', 'Lần khóa', 'Số lần sai', 'Khóa đến', 'Thao tác']} />
            <tbody>
              {list.data.lockouts.map((l) => (
                <tr key={l.id}>
                  <td>
                    <code>{l.id}</code> {l.lastRemoteAddress}
                  </td>
                  <td>{l.level}</td>
                  <td>{l.failures}</td>
                  <td>{vnDateTime(l.lockedUntil)}</td>
                  <td>
                    <button
                      type="button"
                      disabled={action.busy}
                      onClick={() =>
                        action.run(async () => {
                          await del(`/lockouts/${encodeURIComponent(l.id)}`);
                          list.reload();
                          return `Đã gỡ khóa ${l.id}.`;
                        })
                      }
                    >
                      Gỡ khóa
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
    </Section>
  );
}
