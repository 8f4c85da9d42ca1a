/**
 * The version of the code this process runs, recorded on every promotion run (`code_version` of
 * `lake.audit.hour_runs`) so "rebuilt after the fix" is provable: `<package version>+<git commit>`,
 * with `.dirty` when the checkout had uncommitted changes, and `+unknown` outside a git checkout.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { REPO_ROOT, repoPath } from '../infra/repo';

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', args, { cwd: REPO_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined; // not a git checkout, or git missing: the version says `unknown`
  }
}

export function codeVersion(): string {
  const { version } = JSON.parse(fs.readFileSync(repoPath('package.json'), 'utf8')) as { version: string };
  const commit = git(['rev-parse', '--short=12', 'HEAD']);
  if (commit === undefined) return `${version}+unknown`;
  const dirty = (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  return `${version}+${commit}${dirty ? '.dirty' : ''}`;
}
