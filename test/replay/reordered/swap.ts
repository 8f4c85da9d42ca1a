/**
 * The negative replay case, built from today's promoteHour itself: a copy of workflows/promoteHour.ts
 * in which two activity calls trade places and nothing else changes (relative imports point back at
 * the repository so the copy bundles from its own folder). Built at test time, so it can never
 * drift from the workflow in anything but the order of those two calls.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..', '..');
export const PROMOTE_HOUR_SOURCE = path.join(ROOT, 'workflows', 'promoteHour.ts');

/** The one line of `lines` that contains `call`; throws unless there is exactly one. */
function lineOf(lines: readonly string[], call: string): number {
  const found = lines.flatMap((line, i) => (line.includes(call) ? [i] : []));
  if (found.length !== 1) throw new Error(`expected one line calling ${call} in promoteHour.ts, found ${found.length}`);
  return found[0] as number;
}

/** `source` with the statements calling `first` and `second` (one line each) swapped. */
export function swapCalls(source: string, first: string, second: string): string {
  const lines = source.split('\n');
  const [a, b] = [lineOf(lines, first), lineOf(lines, second)];
  [lines[a], lines[b]] = [lines[b] as string, lines[a] as string];
  return lines.join('\n');
}

/** Relative import specifiers made absolute, so the copy resolves them from any folder. */
function absoluteImports(source: string, fromDir: string): string {
  return source.replace(/from '(\.\.?\/[^']+)'/g, (_, spec: string) => `from '${path.join(fromDir, spec)}'`);
}

/** Where this process writes its copies (git ignores .tmp/); remove it when done. */
export const COPIES_DIR = path.join(ROOT, '.tmp', `replay-${process.pid}`);

/** Writes `source` (a version of promoteHour.ts) as a workflows module under COPIES_DIR and returns its path. */
export function writeWorkflowCopy(source: string, name: string): string {
  const dir = COPIES_DIR;
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.ts`);
  fs.writeFileSync(file, absoluteImports(source, path.dirname(PROMOTE_HOUR_SOURCE)));
  return file;
}
