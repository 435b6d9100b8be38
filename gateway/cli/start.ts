// Placeholder: `ndxp start` is wired when the data plane lands.
import type { Command } from 'commander';

export function registerStart(_program: Command): void {}
