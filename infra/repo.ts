/** Paths inside this checkout, the same whether the code runs from dist/ (compiled) or from source (jest). */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(path.join(dir, 'infra'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no clicklake checkout above ${start}`);
  }
}

export const REPO_ROOT = findRoot(__dirname);

/** A file of the checkout, e.g. repoPath('infra', 'maven', 'kafka-pom.xml'). */
export function repoPath(...parts: string[]): string {
  return path.join(REPO_ROOT, ...parts);
}
