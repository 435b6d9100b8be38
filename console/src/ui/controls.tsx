/**
 * Controls every page builds the same way: a table's column headings, a filter drop-down, a
 * file picker that hands over the file's text, the loading/error state of one read, and the
 * button rows of forms and dialogs. One markup each, so pages (and the console's end-to-end
 * test, which finds them by their labels) see them alike.
 */
import type { ComponentChildren } from 'preact';
import type { Loaded } from './hooks';
import { ErrorBox, Field, Loading } from './parts';

/** A table's header row. */
export function Head({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((c, i) => (
          <th scope="col" key={i}>
            {c}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A filter drop-down: "Tất cả" (no filter), then each value by its Vietnamese name where it has one. */
export function SelectFilter({ label, value, values, names = {}, onChange }: { label: string; value: string; values?: readonly string[]; names?: Record<string, string>; onChange(value: string): void }) {
  return (
    <Field label={label}>
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">Tất cả</option>
        {values?.map((v) => (
          <option key={v} value={v}>
            {names[v] ?? v}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** Picks a local file (PEM, CSV, JSON …) and hands over its text; `onText` is not called when the choice is cancelled. */
export function TextFileInput({ accept, label, onText }: { accept: string; label: string; onText(text: string, name: string): void | Promise<void> }) {
  return (
    <input
      type="file"
      accept={accept}
      aria-label={label}
      onChange={async (e) => {
        const file = (e.target as HTMLInputElement).files?.[0];
        if (file) await onText(await file.text(), file.name);
      }}
    />
  );
}

/** The error and the first-load notice of one API read; the page shows the data itself. */
export function LoadState({ loaded }: { loaded: Pick<Loaded<unknown>, 'data' | 'error' | 'loading'> }) {
  return (
    <>
      <ErrorBox error={loaded.error} />
      <Loading when={loaded.loading && !loaded.data} />
    </>
  );
}

/**
 * A form's or a dialog's last row: "Thôi" backs out, the other button does the thing (submits
 * the form, or runs `onConfirm` when given).
 */
export function ConfirmButtons({
  onCancel,
  onConfirm,
  tone = 'primary',
  disabled,
  wide,
  children,
}: {
  onCancel(): void;
  onConfirm?(): void;
  tone?: 'primary' | 'danger';
  disabled?: boolean;
  /** Spans the whole width of a two-column form. */
  wide?: boolean;
  children: ComponentChildren;
}) {
  return (
    <div class={wide ? 'actions span' : 'actions'}>
      <button type="button" onClick={onCancel}>
        Thôi
      </button>
      <button type={onConfirm ? 'button' : 'submit'} class={tone} disabled={disabled} onClick={onConfirm}>
        {children}
      </button>
    </div>
  );
}

/** A read-only dialog's last row. */
export function CloseButton({ onClose }: { onClose(): void }) {
  return (
    <div class="actions">
      <button type="button" onClick={onClose}>
        Đóng
      </button>
    </div>
  );
}
