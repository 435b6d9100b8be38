/**
 * What one migration is. Its own file so that the migrations (which implement it) and
 * migrate.ts (which runs their list) do not import each other.
 */
import type { Kysely } from 'kysely';

/** The SQL engines the store runs on. */
export type Dialect = 'sqlite' | 'postgres';

export interface Migration {
  name: string;
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}
