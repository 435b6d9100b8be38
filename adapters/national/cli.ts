// Placeholder: the owning area registers its verbs here.
import type { Command } from 'commander';

export function register(_program: Command): void {}
