/**
 * Units: the 2025 re-mapping table and the current unit tree. Loading a file shows what it
 * changes against what the gateway holds now (added, removed, changed units) before it is
 * applied; the gateway validates the file and answers with its own report or its errors.
 */
import { useMemo, useState } from 'preact/hooks';
import { get, put } from '../api/client';
import type { RemapRule, Unit } from '../api/types';
import { isoDayToVn, vnDateTime } from '../lib/format';
import { useAction, useApi, type Action } from '../ui/hooks';
import { ErrorBox, Field, Loading, Outcome, Section } from '../ui/parts';
import { ConfirmButtons, Head, LoadState, TextFileInput } from '../ui/controls';

export function UnitsPage() {
  return (
    <div>
      <TreePanel />
      <RemapPanel />
    </div>
  );
}

interface Diff {
  added: Unit[];
  removed: Unit[];
  changed: { before: Unit; after: Unit; fields: (keyof Unit)[] }[];
}

const FIELDS: (keyof Unit)[] = ['ten', 'maDonViCha', 'cap', 'hieuLucTu', 'hieuLucDen', 'maCu'];

function diffUnits(current: Unit[], next: Unit[]): Diff {
  const before = new Map(current.map((u) => [u.maDinhDanh, u]));
  const after = new Map(next.map((u) => [u.maDinhDanh, u]));
  const diff: Diff = { added: [], removed: [], changed: [] };
  for (const u of next) {
    const b = before.get(u.maDinhDanh);
    if (!b) diff.added.push(u);
    else {
      const fields = FIELDS.filter((f) => JSON.stringify(b[f] ?? null) !== JSON.stringify(u[f] ?? null));
      if (fields.length) diff.changed.push({ before: b, after: u, fields });
    }
  }
  for (const u of current) if (!after.has(u.maDinhDanh)) diff.removed.push(u);
  return diff;
}

/** The tree's units from a file: the contract's array, or {units|donVi: [...]}; the gateway judges the rest. */
function unitsOf(doc: unknown): Unit[] {
  const list = Array.isArray(doc) ? doc : ((doc as { units?: unknown[]; donVi?: unknown[] })?.units ?? (doc as { donVi?: unknown[] })?.donVi ?? []);
  return (list as Unit[]).filter((u) => u && typeof u === 'object' && typeof u.maDinhDanh === 'string');
}

function TreePanel() {
  const [q, setQ] = useState('');
  const [query, setQuery] = useState('');
  const all = useApi(() => get<{ total: number; units: Unit[] }>('/units', { limit: 1_000_000 }));
  const found = useApi(() => (query ? get<{ total: number; units: Unit[] }>('/units', { q: query, limit: 500 }) : Promise.resolve(undefined)), [query]);
  const [file, setFile] = useState<{ name: string; doc: unknown }>();
  const action = useAction();
  const diff = useMemo(() => (file && all.data ? diffUnits(all.data.units, unitsOf(file.doc)) : undefined), [file, all.data]);
  const children = useMemo(() => {
    const m = new Map<string, Unit[]>();
    for (const u of all.data?.units ?? []) m.set(u.maDonViCha ?? '', [...(m.get(u.maDonViCha ?? '') ?? []), u]);
    return m;
  }, [all.data]);
  const codes = new Set((all.data?.units ?? []).map((u) => u.maDinhDanh));
  const roots = (all.data?.units ?? []).filter((u) => !u.maDonViCha || !codes.has(u.maDonViCha));

  return (
    <Section title="Cây đơn vị hiện hành" id="h-tree">
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setQuery(q.trim());
        }}
      >
        <Field label="Tìm theo mã hoặc tên">
          <input value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
        <button type="submit">Tìm</button>
      </form>
      <ErrorBox error={all.error ?? found.error} />
      <Loading when={all.loading && !all.data} />
      {query && found.data && <UnitTable units={found.data.units} caption={`${found.data.total} đơn vị khớp «${query}»`} />}
      {!query && all.data && (
        <>
          <p class="muted">{all.data.total} đơn vị.</p>
          <ul class="tree" role="tree" aria-label="Cây đơn vị">
            {roots.slice(0, 200).map((u) => (
              <TreeNode key={u.maDinhDanh} unit={u} childrenOf={children} depth={0} />
            ))}
          </ul>
        </>
      )}
      <h3>Nạp cây đơn vị mới (thay toàn bộ)</h3>
      <JsonFileInput label="Chọn tệp cây đơn vị" action={action} onFile={setFile} />
      {diff && file && (
        <div class="diff" data-testid="unit-diff">
          <p>
            So với cây hiện hành, tệp <strong>{file.name}</strong>: thêm {diff.added.length}, bỏ {diff.removed.length}, thay đổi {diff.changed.length}.
          </p>
          {diff.added.length > 0 && <UnitTable units={diff.added.slice(0, 50)} caption="Đơn vị thêm mới" />}
          {diff.removed.length > 0 && <UnitTable units={diff.removed.slice(0, 50)} caption="Đơn vị không còn" />}
          {diff.changed.length > 0 && (
            <table>
              <caption>Đơn vị thay đổi</caption>
              <Head columns={['Mã', 'Trường thay đổi', 'Trước', 'Sau']} />
              <tbody>
                {diff.changed.slice(0, 50).map((c) => (
                  <tr key={c.after.maDinhDanh}>
                    <td>
                      <code>{c.after.maDinhDanh}</code>
                    </td>
                    <td>{c.fields.join(', ')}</td>
                    <td>{c.fields.map((f) => `${f}: ${JSON.stringify(c.before[f] ?? null)}`).join('; ')}</td>
                    <td>{c.fields.map((f) => `${f}: ${JSON.stringify(c.after[f] ?? null)}`).join('; ')}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <ConfirmButtons
            onCancel={() => setFile(undefined)}
            disabled={action.busy}
            onConfirm={() =>
              action.run(async () => {
                const r = await put<{ units: number; withOldCodes: number; replaced: number; warnings: { message: string }[] }>('/units', file.doc);
                setFile(undefined);
                all.reload();
                return `Đã nạp ${r.units} đơn vị (thay ${r.replaced}; ${r.withOldCodes} đơn vị có mã cũ; ${r.warnings.length} cảnh báo).`;
              })
            }
          >
            Áp dụng cây đơn vị
          </ConfirmButtons>
        </div>
      )}
      <Outcome action={action} />
    </Section>
  );
}

function TreeNode({ unit, childrenOf, depth }: { unit: Unit; childrenOf: Map<string, Unit[]>; depth: number }) {
  const kids = childrenOf.get(unit.maDinhDanh) ?? [];
  const [open, setOpen] = useState(depth < 1);
  return (
    <li role="treeitem" aria-expanded={kids.length ? open : undefined}>
      {kids.length > 0 ? (
        <button type="button" class="link" onClick={() => setOpen(!open)} aria-label={`${open ? 'Thu gọn' : 'Mở'} ${unit.ten}`}>
          {open ? '▾' : '▸'}
        </button>
      ) : (
        <span class="tree-leaf" aria-hidden="true">
          •
        </span>
      )}{' '}
      <code>{unit.maDinhDanh}</code> {unit.ten} <span class="muted">(cấp {unit.cap}{unit.maCu?.length ? `; mã cũ ${unit.maCu.join(', ')}` : ''})</span>
      {open && kids.length > 0 && (
        <ul role="group">
          {kids.map((k) => (
            <TreeNode key={k.maDinhDanh} unit={k} childrenOf={childrenOf} depth={depth + 1} />
          ))}
        </ul>
      )}
    </li>
  );
}

function UnitTable({ units, caption }: { units: Unit[]; caption: string }) {
  return (
    <table>
      <caption>{caption}</caption>
      <Head columns={['Mã', 'Tên', 'Đơn vị cha', 'Cấp', 'Hiệu lực', 'Mã cũ']} />
      <tbody>
        {units.map((u) => (
          <tr key={u.maDinhDanh}>
            <td>
              <code>{u.maDinhDanh}</code>
            </td>
            <td>{u.ten}</td>
            <td>{u.maDonViCha ?? '—'}</td>
            <td>{u.cap}</td>
            <td>
              {isoDayToVn(u.hieuLucTu)}
              {u.hieuLucDen ? ` – ${isoDayToVn(u.hieuLucDen)}` : ''}
            </td>
            <td>{u.maCu?.join(', ') ?? '—'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RemapPanel() {
  const rules = useApi(() => get<{ count: number; rules: RemapRule[] }>('/units/remap-rules'));
  const [file, setFile] = useState<{ name: string; doc: unknown }>();
  const action = useAction();
  const incoming = file ? ((Array.isArray(file.doc) ? file.doc : (file.doc as { rules?: unknown[] })?.rules) ?? []) : [];
  return (
    <Section title="Bảng ánh xạ mã đơn vị (sắp xếp 2025)" id="h-remap">
      <LoadState loaded={rules} />
      {rules.data && (
        <table>
          <caption class="muted">{rules.data.count} quy tắc</caption>
          <Head columns={['Kiểu', 'Mã cũ', 'Mã mới', 'Từ ngày', 'Ghi chú', 'Nạp lúc']} />
          <tbody>
            {rules.data.rules.map((r) => (
              <tr key={r.id}>
                <td>{r.kind === 'exact' ? 'Đúng mã' : 'Nhóm cấp 1'}</td>
                <td>
                  <code>{r.maCu}</code>
                </td>
                <td>
                  <code>{r.maMoi}</code>
                </td>
                <td>{isoDayToVn(r.tuNgay)}</td>
                <td>{r.ghiChu ?? ''}</td>
                <td>{vnDateTime(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h3>Nạp bảng ánh xạ mới (thay toàn bộ)</h3>
      <JsonFileInput label="Chọn tệp bảng ánh xạ" action={action} onFile={setFile} />
      {file && (
        <div>
          <p>
            Tệp <strong>{file.name}</strong> có {incoming.length} quy tắc; bảng hiện hành có {rules.data?.count ?? 0}. Áp dụng sẽ thay toàn bộ bảng.
          </p>
          <ConfirmButtons
            onCancel={() => setFile(undefined)}
            disabled={action.busy}
            onConfirm={() =>
              action.run(async () => {
                const r = await put<{ exact: number; level1: number; total: number; replaced: number }>('/units/remap-rules', file.doc);
                setFile(undefined);
                rules.reload();
                return `Đã nạp ${r.total} quy tắc (${r.exact} đúng mã, ${r.level1} nhóm cấp 1), thay ${r.replaced} quy tắc cũ.`;
              })
            }
          >
            Áp dụng bảng ánh xạ
          </ConfirmButtons>
        </div>
      )}
      <Outcome action={action} />
    </Section>
  );
}

/** Reads the chosen JSON file for a preview; a file that does not parse is shown as the action's error. */
function JsonFileInput({ label, action, onFile }: { label: string; action: Action; onFile(file: { name: string; doc: unknown } | undefined): void }) {
  return (
    <TextFileInput
      accept=".json,application/json"
      label={label}
      onText={(text, name) => {
        action.clear();
        try {
          onFile({ name, doc: JSON.parse(text) });
        } catch (err) {
          onFile(undefined);
          void action.run(async () => {
            throw new Error(`Tệp ${name} không phải JSON hợp lệ: ${(err as Error).message}`);
          });
        }
      }}
    />
  );
}
