/**
 * Collects the mapping problems of one legacy record: each names the national pointer (so the
 * shared validation can tell it already has a finding there) and the vendor's own field (what a
 * clerk sees), with a machine code and a Vietnamese message.
 */
import type { FieldIssue } from '../types.js';

export class IssueCollector {
  readonly errors: FieldIssue[] = [];
  readonly warnings: FieldIssue[] = [];

  error(pointer: string | undefined, field: string, code: string, message: string): void {
    this.errors.push(pointer === undefined ? { field, code, message } : { pointer, field, code, message });
  }

  warning(pointer: string | undefined, field: string, code: string, message: string): void {
    this.warnings.push(pointer === undefined ? { field, code, message } : { pointer, field, code, message });
  }
}

/** Quotes a legacy value inside a message, shortened so a hostile value cannot flood the answer. */
export function quote(value: string): string {
  if (value.length <= 60) return `«${value}»`;
  // Cut on code points, so a surrogate pair is never split into an unencodable half.
  return `«${Array.from(value.slice(0, 120)).slice(0, 57).join('')}…»`;
}
