/** Helpers for tests that run against the real local stack. */
import { randomBytes } from 'node:crypto';
import type { ClicklakeConfig } from '../../core/config';
import { loadConfig } from '../../workers/config';

export function stackConfig(): ClicklakeConfig {
  return loadConfig();
}

/** A random lower-case suffix so topic names, keys and tables of parallel runs never collide. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}
