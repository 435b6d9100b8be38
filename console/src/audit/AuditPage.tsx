/**
 * Audit (auditors and network-admins): search the trail by unit, key, personal id, time and outcome (the
 * filters travel in a POST body so a personal id never lands in a URL), open one entry and its
 * kept bodies, verify the hash chain and signed checkpoints for a range, and export a signed
 * bundle that `ndxp audit verify-bundle` checks on another machine.
 */
import { useEffect, useState } from 'preact/hooks';
import { fetchFile, get, post } from '../api/client';
import type { AuditEntry, ChainVerification } from '../api/types';
import { saveBlob } from '../lib/download';
import { num, vnDateTime, vnDayToIso } from '../lib/format';
import { useAction } from '../ui/hooks';
import { Badge, Dialog, ErrorBox, Field, Outcome, Section } from '../ui/parts';
import { CloseButton, Head } from '../ui/controls';

const KINDS: [string, string][] = [
  ['', 'Tất cả'],
  ['exchange', 'Trao đổi'],
  ['refusal', 'Từ chối'],
  ['delivery', 'Gửi CSDL quốc gia'],
  ['admin', 'Thao tác quản trị'],
];

interface Filters {
  kind: string;
  unit: string;
  key: string;
  personalId: string;
  outcome: string;
  from: string;
  to: string;
}

const EMPTY: Filters = { kind: '', unit: '', key: '', personalId: '', outcome: '', from: '', to: '' };

export function AuditPage() {
  const [f, setF] = useState<Filters>(EMPTY);
  const [page, setPage] = useState<{ items: AuditEntry[]; nextCursor: number | null; cursor?: number; back: (number | undefined)[] }>();
  const [open, setOpen] = useState<AuditEntry>();
  const search = useAction();
  const set = (n: keyof Filters) => (e: Event) => setF({ ...f, [n]: (e.target as HTMLInputElement).value });

  const run = (cursor?: number, back: (number | undefined)[] = []) =>
    search.run(async () => {
      const body = {
        kind: f.kind || undefined,
        unit: f.unit || undefined,
        key: f.key || undefined,
        personalId: f.personalId || undefined,
        outcome: f.outcome || undefined,
        from: vnDayToIso(f.from, 'Từ ngày'),
        to: vnDayToIso(f.to, 'Đến ngày'),
        order: 'desc',
        limit: 50,
        cursor,
      };
      const r = await post<{ items: AuditEntry[]; nextCursor: number | null }>('/audit/search', { json: body });
      setPage({ ...r, cursor, back });
      return r.items.length ? undefined : 'Không có bản ghi nào khớp.';
    });

  return (
    <div>
      <Section title="Tìm trong nhật ký" id="h-search">
        <form
          class="filters"
          onSubmit={(e) => {
            e.preventDefault();
            void run();
          }}
        >
          <Field label="Loại">
            <select name="kind" value={f.kind} onChange={set('kind')}>
              {KINDS.map(([v, n]) => (
                <option key={v} value={v}>
                  {n}
                </option>
              ))}
            </select>
          </Field>
          <Field label="Đơn vị">
            <input name="unit" value={f.unit} onInput={set('unit')} />
          </Field>
          <Field label="Mã kết nối">
            <input name="key" value={f.key} onInput={set('key')} />
          </Field>
          <Field label="Số định danh cá nhân" hint="Khớp chính xác">
            <input name="personalId" value={f.personalId} onInput={set('personalId')} inputMode="numeric" autoComplete="off" />
          </Field>
          <Field label="Kết quả" hint="ví dụ ok, refused, delivered">
            <input name="outcome" value={f.outcome} onInput={set('outcome')} />
          </Field>
          <Field label="Từ ngày" hint="dd/MM/yyyy">
            <input name="from" value={f.from} onInput={set('from')} placeholder="01/01/2026" />
          </Field>
          <Field label="Đến ngày" hint="dd/MM/yyyy">
            <input name="to" value={f.to} onInput={set('to')} placeholder="31/12/2026" />
          </Field>
          <button type="submit" class="primary" disabled={search.busy}>
            Tìm
          </button>
        </form>
        <Outcome action={search} />
        {page && page.items.length > 0 && (
          <>
            <table class="audit">
              <Head columns={['#', 'Thời điểm', 'Loại', 'Đơn vị / mã', 'Thao tác', 'Kết quả', 'Người / phần mềm', 'Độ trễ']} />
              <tbody>
                {page.items.map((e) => (
                  <tr key={e.seq} data-seq={e.seq}>
                    <td>
                      <button type="button" class="link" onClick={() => setOpen(e)} aria-label={`Xem bản ghi ${e.seq}`}>
                        {e.seq}
                      </button>
                    </td>
                    <td data-testid="at">{vnDateTime(e.atMs)}</td>
                    <td>{KINDS.find(([k]) => k === e.kind)?.[1] ?? e.kind}</td>
                    <td>
                      {e.unitCode ?? '—'} {e.keyId && <code>{e.keyId}</code>}
                    </td>
                    <td>
                      {e.front && <span class="muted">{e.front} </span>}
                      {e.operation ?? '—'}
                      {e.target && <div class="muted">{e.target}</div>}
                    </td>
                    <td>
                      <Badge value={e.outcome} /> {e.code && <code class="code">{e.code}</code>}
                    </td>
                    <td class="wrap">{e.actor ?? e.softwareId ?? '—'}</td>
                    <td>{e.latencyMs === null ? '—' : `${num(e.latencyMs)} ms`}</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <div class="actions">
              <button type="button" disabled={!page.back.length || search.busy} onClick={() => run(page.back[page.back.length - 1], page.back.slice(0, -1))}>
                Trang trước
              </button>
              <button type="button" disabled={page.nextCursor === null || search.busy} onClick={() => run(page.nextCursor!, [...page.back, page.cursor])}>
                Trang sau
              </button>
            </div>
          </>
        )}
      </Section>
      <div class="grid2">
        <VerifyPanel />
        <ExportPanel />
      </div>
      <Dialog title={open ? `Bản ghi nhật ký số ${open.seq}` : ''} open={Boolean(open)} onClose={() => setOpen(undefined)}>
        {open && <EntryDetail seq={open.seq} onClose={() => setOpen(undefined)} />}
      </Dialog>
    </div>
  );
}

function EntryDetail({ seq, onClose }: { seq: number; onClose(): void }) {
  const [entry, setEntry] = useState<AuditEntry>();
  const [body, setBody] = useState<{ part: string; text: string; sha256?: string }>();
  const load = useAction();
  const read = useAction();
  useEffect(() => {
    void load.run(async () => {
      setEntry(await get<AuditEntry>(`/audit/entries/${seq}`));
    });
  }, [seq]);
  const readBody = (part: 'request' | 'response') =>
    read.run(async () => {
      const f = await fetchFile(`/audit/entries/${seq}/body/${part}`, undefined, `${seq}-${part}.bin`);
      setBody({ part, text: new TextDecoder('utf-8').decode(await f.blob.arrayBuffer()), sha256: f.sha256 });
    });
  return (
    <div>
      <ErrorBox error={load.error} />
      {entry && (
        <dl class="details">
          <dt>Thời điểm</dt>
          <dd>{vnDateTime(entry.atMs)}</dd>
          <dt>Nút</dt>
          <dd>{entry.node}</dd>
          <dt>Loại / thao tác</dt>
          <dd>
            {entry.kind} / {entry.front ? `${entry.front} ` : ''}
            {entry.operation ?? '—'}
          </dd>
          <dt>Kết quả</dt>
          <dd>
            <Badge value={entry.outcome} /> {entry.code && <code class="code">{entry.code}</code>}
          </dd>
          <dt>Người thực hiện</dt>
          <dd class="wrap">{entry.actor ?? '—'}</dd>
          <dt>Đối tượng</dt>
          <dd>{entry.target ?? '—'}</dd>
          <dt>Chứng thư</dt>
          <dd class="wrap">
            {entry.certSubject ?? '—'} {entry.certSerial && <code>{entry.certSerial}</code>}
          </dd>
          <dt>Mã kết nối / phần mềm / đơn vị</dt>
          <dd>
            {entry.keyId ?? '—'} / {entry.softwareId ?? '—'} / {entry.unitCode ?? '—'}
          </dd>
          <dt>Số định danh (che)</dt>
          <dd>{entry.personalIds.join(', ') || '—'}</dd>
          <dt>Mã theo dõi</dt>
          <dd>{entry.trackingIds.join(', ') || '—'}</dd>
          <dt>Mã yêu cầu</dt>
          <dd>{entry.requestId ?? '—'}</dd>
          <dt>Kích thước yêu cầu / trả lời</dt>
          <dd>
            {num(entry.requestBytes)} / {num(entry.responseBytes)} byte
          </dd>
          <dt>Lưu nội dung</dt>
          <dd>{entry.bodyRetention}</dd>
          <dt>Chi tiết</dt>
          <dd>
            <pre>{entry.details ? JSON.stringify(entry.details, null, 2) : '—'}</pre>
          </dd>
          <dt>Mã băm chuỗi</dt>
          <dd>
            <code class="wrap">{entry.hash}</code>
          </dd>
        </dl>
      )}
      {entry && (entry.hasRequestBody || entry.hasResponseBody) && (
        <div class="actions">
          {entry.hasRequestBody && (
            <button type="button" onClick={() => readBody('request')} disabled={read.busy}>
              Xem nội dung yêu cầu
            </button>
          )}
          {entry.hasResponseBody && (
            <button type="button" onClick={() => readBody('response')} disabled={read.busy}>
              Xem nội dung trả lời
            </button>
          )}
        </div>
      )}
      <ErrorBox error={read.error} />
      {body && (
        <div>
          <p class="muted">
            Nội dung {body.part === 'request' ? 'yêu cầu' : 'trả lời'} (SHA-256 {body.sha256}); việc đọc đã được ghi vào nhật ký.
          </p>
          <pre class="body">{body.text}</pre>
        </div>
      )}
      <CloseButton onClose={onClose} />
    </div>
  );
}

function RangeFields({ from, to, setFrom, setTo }: { from: string; to: string; setFrom(v: string): void; setTo(v: string): void }) {
  return (
    <div class="row">
      <Field label="Từ ngày" hint="dd/MM/yyyy">
        <input value={from} onInput={(e) => setFrom((e.target as HTMLInputElement).value)} placeholder="01/01/2026" />
      </Field>
      <Field label="Đến ngày" hint="dd/MM/yyyy">
        <input value={to} onInput={(e) => setTo((e.target as HTMLInputElement).value)} placeholder="31/12/2026" />
      </Field>
    </div>
  );
}

function VerifyPanel() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [result, setResult] = useState<ChainVerification>();
  const action = useAction();
  return (
    <Section title="Kiểm tra tính toàn vẹn" id="h-verify">
      <p class="muted">Kiểm tra chuỗi băm và các điểm chốt đã ký. Để trống cả hai ngày để kiểm tra toàn bộ (kể cả tệp lưu trữ).</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setResult(undefined);
          void action.run(async () => {
            const r = await post<ChainVerification>('/audit/verify', { query: { from: vnDayToIso(from, 'Từ ngày'), to: vnDayToIso(to, 'Đến ngày') } });
            setResult(r);
          });
        }}
      >
        <RangeFields from={from} to={to} setFrom={setFrom} setTo={setTo} />
        <button type="submit" class="primary" disabled={action.busy}>
          Kiểm tra
        </button>
      </form>
      <ErrorBox error={action.error} />
      {result && (
        <div class={`notice ${result.ok ? 'ok' : 'error'}`} role="status" data-testid="verify-result">
          {result.ok ? (
            <strong>Toàn vẹn: nhật ký không bị sửa, xóa hay chèn.</strong>
          ) : (
            <>
              <strong>Phát hiện sai lệch</strong>
              {result.problem && (
                <>
                  {' '}
                  tại bản ghi {result.problem.seq}: {result.problem.message} <code class="code">{result.problem.code}</code>
                </>
              )}
            </>
          )}
          <div>
            {num(result.entries)} bản ghi (số {result.firstSeq ?? '—'}–{result.lastSeq ?? '—'}), {num(result.checkpointsVerified)} điểm chốt đã ký được xác minh; {num(result.entriesAfterLastCheckpoint)} bản ghi sau điểm chốt cuối (đã nối chuỗi, chưa ký).
          </div>
        </div>
      )}
    </Section>
  );
}

function ExportPanel() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const action = useAction();
  return (
    <Section title="Xuất gói nhật ký" id="h-export">
      <p class="muted">Gói tự chứa, có chữ ký; kiểm tra trên máy khác bằng «ndxp audit verify-bundle TỆP».</p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void action.run(async () => {
            const fromIso = vnDayToIso(from, 'Từ ngày');
            const toIso = vnDayToIso(to, 'Đến ngày');
            if (!fromIso || !toIso) throw new Error('Cần nhập cả ngày bắt đầu và ngày kết thúc');
            const f = await fetchFile('/audit/export', { from: fromIso, to: toIso }, 'nhat-ky.jsonl');
            saveBlob(f.blob, f.name);
            return `Đã tải gói ${f.name} (SHA-256 ${f.sha256 ?? 'không rõ'}).`;
          });
        }}
      >
        <RangeFields from={from} to={to} setFrom={setFrom} setTo={setTo} />
        <button type="submit" class="primary" disabled={action.busy}>
          Xuất và tải về
        </button>
      </form>
      <Outcome action={action} />
    </Section>
  );
}
