/**
 * Certificates: the list with status and days left, issuing a client (or admin, or unit signing)
 * certificate with its PKCS#12 downloaded (the password typed here, sent once, never kept),
 * signing an uploaded CSR, revoking with a reason, the CRL, trust anchors, and each unit's
 * record-signing certificates.
 */
import { useState } from 'preact/hooks';
import { del, fetchFile, get, post } from '../api/client';
import type { Certificate, IssuedCertificate, TrustAnchor } from '../api/types';
import { saveBase64, saveBlob, saveText } from '../lib/download';
import { vnDate, vnDateTime } from '../lib/format';
import { adminRoles, certStates, issuableKinds, revocationReasons } from '../lib/schema';
import { useAction, useApi } from '../ui/hooks';
import { Badge, Dialog, ErrorBox, Field, Outcome, Section } from '../ui/parts';
import { ConfirmButtons, Head, LoadState, SelectFilter, TextFileInput } from '../ui/controls';

const KIND_NAMES: Record<string, string> = {
  ca: 'CA',
  server: 'Máy chủ',
  client: 'Phần mềm (máy khách)',
  admin: 'Quản trị',
  signing: 'Ký số đơn vị',
  'central-client': 'Kết nối CSDL quốc gia',
  audit: 'Ký nhật ký',
};

const REASON_NAMES: Record<string, string> = {
  unspecified: 'Không nêu lý do',
  keyCompromise: 'Lộ khóa bí mật',
  cACompromise: 'CA bị xâm phạm',
  affiliationChanged: 'Thay đổi đơn vị',
  superseded: 'Đã thay bằng chứng thư khác',
  cessationOfOperation: 'Ngừng hoạt động',
  privilegeWithdrawn: 'Rút quyền',
};

export function CertsPage() {
  const [filter, setFilter] = useState({ kind: '', status: '' });
  const certs = useApi(() => get<{ certificates: Certificate[]; expiryWarningDays: number; warnings: number }>('/certs', filter), [filter]);
  const options = useApi(async () => ({ kinds: await issuableKinds(), roles: await adminRoles(), states: await certStates(), reasons: await revocationReasons() }));
  const [revoking, setRevoking] = useState<Certificate>();
  const crl = useAction();
  const downloadCrl = (format: 'pem' | 'der') =>
    crl.run(async () => {
      const f = await fetchFile('/certs/crl', { format }, format === 'der' ? 'gateway.crl' : 'gateway.crl.pem');
      saveBlob(f.blob, format === 'der' ? 'gateway.crl' : 'gateway.crl.pem');
      return 'Đã tải danh sách thu hồi (CRL).';
    });
  return (
    <div>
      <Section
        title="Chứng thư số đã cấp"
        id="h-certs"
        actions={
          <>
            <button type="button" onClick={() => downloadCrl('pem')} disabled={crl.busy}>
              Tải CRL (PEM)
            </button>
            <button type="button" onClick={() => downloadCrl('der')} disabled={crl.busy}>
              Tải CRL (DER)
            </button>
          </>
        }
      >
        <div class="filters">
          <SelectFilter label="Loại" value={filter.kind} values={Object.keys(KIND_NAMES)} names={KIND_NAMES} onChange={(kind) => setFilter({ ...filter, kind })} />
          <SelectFilter label="Tình trạng" value={filter.status} values={options.data?.states} onChange={(status) => setFilter({ ...filter, status })} />
        </div>
        <Outcome action={crl} />
        <LoadState loaded={certs} />
        {certs.data && (
          <table>
            <caption class="muted">
              {certs.data.certificates.length} chứng thư; {certs.data.warnings} sắp hết hạn trong {certs.data.expiryWarningDays} ngày
            </caption>
            <Head columns={['Sê-ri', 'Loại', 'Tên (CN)', 'Đơn vị / vai trò', 'Tình trạng', 'Hết hạn', 'Còn lại', 'Thao tác']} />
            <tbody>
              {certs.data.certificates.map((c) => (
                <tr key={c.serial} data-serial={c.serial}>
                  <td>
                    <code>{c.serial}</code>
                  </td>
                  <td>{KIND_NAMES[c.kind] ?? c.kind}</td>
                  <td>{c.cn}</td>
                  <td>{c.unit ?? c.role ?? '—'}</td>
                  <td>
                    <Badge value={c.state} />
                    {c.revocationReason && <span class="muted"> {REASON_NAMES[c.revocationReason] ?? c.revocationReason}</span>}
                  </td>
                  <td>{vnDate(c.notAfter)}</td>
                  <td class={c.expiryWarning ? 'warn-text' : ''}>{c.daysLeft} ngày</td>
                  <td>
                    {c.status === 'active' && (
                      <button type="button" class="danger" onClick={() => setRevoking(c)}>
                        Thu hồi
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Section>
      <div class="grid2">
        {options.data && <IssuePanel kinds={options.data.kinds} roles={options.data.roles} onIssued={certs.reload} />}
        <CsrPanel onSigned={certs.reload} />
      </div>
      <SigningPanel certs={certs.data?.certificates.filter((c) => c.kind === 'signing') ?? []} onIssued={certs.reload} />
      <TrustPanel />
      <Dialog title={revoking ? `Thu hồi chứng thư ${revoking.serial}` : ''} open={Boolean(revoking)} onClose={() => setRevoking(undefined)}>
        {revoking && options.data && (
          <RevokeForm
            cert={revoking}
            reasons={options.data.reasons}
            onCancel={() => setRevoking(undefined)}
            onDone={() => {
              setRevoking(undefined);
              certs.reload();
            }}
          />
        )}
      </Dialog>
    </div>
  );
}

function RevokeForm({ cert, reasons, onCancel, onDone }: { cert: Certificate; reasons: string[]; onCancel(): void; onDone(): void }) {
  const [reason, setReason] = useState('');
  const action = useAction();
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(async () => {
          await post(`/certs/${encodeURIComponent(cert.serial)}/revoke`, { json: { reason } });
          onDone();
        });
      }}
    >
      <p>
        <strong>{cert.cn}</strong> ({KIND_NAMES[cert.kind] ?? cert.kind}). Thu hồi có hiệu lực trên mọi nút trong vòng một giây, kể cả các kết nối đang mở, và không hoàn tác được.
      </p>
      <Field label="Lý do thu hồi *">
        <select value={reason} onChange={(e) => setReason((e.target as HTMLSelectElement).value)} required>
          <option value="">— chọn lý do —</option>
          {reasons.map((r) => (
            <option key={r} value={r}>
              {REASON_NAMES[r] ?? r} ({r})
            </option>
          ))}
        </select>
      </Field>
      <ErrorBox error={action.error} />
      <ConfirmButtons onCancel={onCancel} tone="danger" disabled={action.busy}>
        Thu hồi
      </ConfirmButtons>
    </form>
  );
}

const safeName = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_') || 'chung-thu';

function IssuePanel({ kinds, roles, onIssued }: { kinds: string[]; roles: string[]; onIssued(): void }) {
  const [f, setF] = useState<Record<string, string>>({ kind: 'client' });
  const [issued, setIssued] = useState<IssuedCertificate & { cn: string }>();
  const action = useAction();
  const set = (n: string) => (e: Event) => setF({ ...f, [n]: (e.target as HTMLInputElement).value });
  const submit = (e: Event) => {
    e.preventDefault();
    setIssued(undefined);
    void action.run(async () => {
      if (f.p12Password && f.p12Password !== f.p12Password2) throw new Error('Hai lần nhập mật khẩu PKCS#12 không khớp');
      const answer = await post<IssuedCertificate>('/certs', {
        json: { kind: f.kind, cn: f.cn, unit: f.unit || undefined, role: f.kind === 'admin' ? f.role : undefined, days: f.days ? Number(f.days) : undefined, p12Password: f.p12Password || undefined },
      });
      setIssued({ ...answer, cn: f.cn ?? answer.serial });
      setF({ kind: f.kind });
      onIssued();
      return `Đã cấp chứng thư sê-ri ${answer.serial}. Tải các tệp về ngay: khóa bí mật không được lưu lại.`;
    });
  };
  return (
    <Section title="Cấp chứng thư số" id="h-issue">
      <form onSubmit={submit} class="form-grid">
        <Field label="Loại">
          <select name="kind" value={f.kind} onChange={set('kind')}>
            {kinds.map((k) => (
              <option key={k} value={k}>
                {KIND_NAMES[k] ?? k}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Tên (CN) *" hint="Mã phần mềm, hoặc tên quản trị viên">
          <input name="cn" value={f.cn ?? ''} onInput={set('cn')} required={f.kind !== 'signing'} />
        </Field>
        {f.kind !== 'admin' && (
          <Field label="Mã đơn vị">
            <input name="unit" value={f.unit ?? ''} onInput={set('unit')} placeholder="000.00.00.H06" />
          </Field>
        )}
        {f.kind === 'admin' && (
          <Field label="Vai trò">
            <select name="role" value={f.role ?? ''} onChange={set('role')}>
              <option value="">— chọn —</option>
              {roles.map((r) => (
                <option key={r}>{r}</option>
              ))}
            </select>
          </Field>
        )}
        <Field label="Số ngày hiệu lực" hint="Để trống = mặc định">
          <input name="days" inputMode="numeric" value={f.days ?? ''} onInput={set('days')} />
        </Field>
        {f.kind !== 'signing' && (
          <>
            <Field label="Mật khẩu tệp PKCS#12" hint="Dùng cho .NET / Java; để trống nếu chỉ cần PEM">
              <input name="p12Password" type="password" autoComplete="new-password" value={f.p12Password ?? ''} onInput={set('p12Password')} />
            </Field>
            <Field label="Nhập lại mật khẩu">
              <input name="p12Password2" type="password" autoComplete="new-password" value={f.p12Password2 ?? ''} onInput={set('p12Password2')} />
            </Field>
          </>
        )}
        <div class="actions span">
          <button type="submit" class="primary" disabled={action.busy}>
            Cấp chứng thư
          </button>
        </div>
      </form>
      <Outcome action={action} />
      {issued && (
        <div class="downloads" role="group" aria-label="Tải tệp chứng thư vừa cấp">
          {issued.p12Base64 && (
            <button type="button" class="primary" onClick={() => saveBase64(issued.p12Base64!, `${safeName(issued.cn)}.p12`, 'application/x-pkcs12')}>
              Tải tệp PKCS#12 (.p12)
            </button>
          )}
          <button type="button" onClick={() => saveText(issued.certPem + issued.chainPem, `${safeName(issued.cn)}.crt.pem`)}>
            Tải chứng thư + chuỗi (PEM)
          </button>
          {issued.keyPem && (
            <button type="button" onClick={() => saveText(issued.keyPem!, `${safeName(issued.cn)}.key.pem`)}>
              Tải khóa bí mật (PEM)
            </button>
          )}
          <p class="muted">Hết hạn {vnDateTime(issued.notAfter)}.</p>
        </div>
      )}
    </Section>
  );
}

function CsrPanel({ onSigned }: { onSigned(): void }) {
  const [csr, setCsr] = useState('');
  const [unit, setUnit] = useState('');
  const [days, setDays] = useState('');
  const action = useAction();
  return (
    <Section title="Ký yêu cầu cấp chứng thư (CSR)" id="h-csr">
      <p class="muted">Khóa bí mật nằm lại trên máy khách; cổng chỉ ký.</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const signed = await post<IssuedCertificate>('/certs/sign-csr', { json: { csr, unit: unit || undefined, days: days ? Number(days) : undefined } });
            saveText(signed.certPem + signed.chainPem, `${signed.serial}.crt.pem`);
            onSigned();
            return `Đã ký: chứng thư sê-ri ${signed.serial} (${signed.subject}) đã được tải về.`;
          });
        }}
      >
        <TextFileInput accept=".csr,.pem,.req,application/pkcs10" label="Chọn tệp CSR" onText={setCsr} />
        <Field label="CSR (PEM)">
          <textarea rows={4} value={csr} onInput={(e) => setCsr((e.target as HTMLTextAreaElement).value)} required />
        </Field>
        <div class="row">
          <Field label="Mã đơn vị">
            <input value={unit} onInput={(e) => setUnit((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label="Số ngày hiệu lực">
            <input value={days} inputMode="numeric" onInput={(e) => setDays((e.target as HTMLInputElement).value)} />
          </Field>
        </div>
        <div class="actions">
          <button type="submit" class="primary" disabled={action.busy || !csr.trim()}>
            Ký và tải về
          </button>
        </div>
      </form>
      <Outcome action={action} />
    </Section>
  );
}

function SigningPanel({ certs, onIssued }: { certs: Certificate[]; onIssued(): void }) {
  const [unit, setUnit] = useState('');
  const action = useAction();
  const byUnit = new Map<string, Certificate[]>();
  for (const c of certs) byUnit.set(c.unit ?? '—', [...(byUnit.get(c.unit ?? '—') ?? []), c]);
  return (
    <Section title="Chứng thư ký số theo đơn vị" id="h-signing">
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const s = await post<IssuedCertificate>('/certs', { json: { kind: 'signing', unit } });
            setUnit('');
            onIssued();
            return `Đã cấp chứng thư ký số ${s.serial} cho đơn vị ${unit}.`;
          });
        }}
      >
        <Field label="Mã đơn vị">
          <input value={unit} onInput={(e) => setUnit((e.target as HTMLInputElement).value)} required placeholder="000.00.00.H06" />
        </Field>
        <button type="submit" disabled={action.busy}>
          Cấp chứng thư ký số
        </button>
      </form>
      <Outcome action={action} />
      {byUnit.size === 0 ? (
        <p class="muted">Chưa đơn vị nào có chứng thư ký số.</p>
      ) : (
        <table>
          <Head columns={['Đơn vị', 'Sê-ri', 'Tình trạng', 'Hết hạn']} />
          <tbody>
            {[...byUnit.entries()].flatMap(([u, list]) =>
              list.map((c, i) => (
                <tr key={c.serial}>
                  <td>{i === 0 ? u : ''}</td>
                  <td>
                    <code>{c.serial}</code>
                  </td>
                  <td>
                    <Badge value={c.state} />
                  </td>
                  <td>{vnDate(c.notAfter)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </Section>
  );
}

function TrustPanel() {
  const anchors = useApi(() => get<{ trustAnchors: TrustAnchor[] }>('/certs/trust-anchors'));
  const [pem, setPem] = useState('');
  const action = useAction();
  return (
    <Section title="CA được tin cậy thêm (Bộ Nội vụ, nền tảng quốc gia)" id="h-trust">
      <ErrorBox error={anchors.error} />
      <Outcome action={action} />
      {anchors.data &&
        (anchors.data.trustAnchors.length === 0 ? (
          <p class="muted">Chưa tin cậy thêm CA nào.</p>
        ) : (
          <table>
            <Head columns={['Chủ thể', 'Dấu vân tay SHA-256', 'Hết hạn', 'Thao tác']} />
            <tbody>
              {anchors.data.trustAnchors.map((a) => (
                <tr key={a.fingerprintSha256}>
                  <td>{a.subject}</td>
                  <td>
                    <code class="wrap">{a.fingerprintSha256}</code>
                  </td>
                  <td>{vnDate(a.notAfter)}</td>
                  <td>
                    <button
                      type="button"
                      class="danger"
                      disabled={action.busy}
                      onClick={() =>
                        action.run(async () => {
                          await del(`/certs/trust-anchors/${encodeURIComponent(a.fingerprintSha256)}`);
                          anchors.reload();
                          return 'Đã bỏ tin cậy CA.';
                        })
                      }
                    >
                      Bỏ tin cậy
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ))}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const r = await post<{ added: unknown[] }>('/certs/trust-anchors', { json: { pem } });
            setPem('');
            anchors.reload();
            return r.added.length ? `Đã thêm ${r.added.length} CA.` : 'CA này đã được tin cậy từ trước.';
          });
        }}
      >
        <TextFileInput accept=".pem,.crt,.cer" label="Chọn tệp chứng thư CA" onText={setPem} />
        <Field label="Chứng thư CA (PEM)">
          <textarea rows={3} value={pem} onInput={(e) => setPem((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <button type="submit" disabled={action.busy || !pem.trim()}>
          Thêm CA tin cậy
        </button>
      </form>
    </Section>
  );
}
