/**
 * clicklake's own processes (collector, Temporal worker) as daemons of the stack: run from the
 * compiled dist/ with Node, and stale (restarted by `stack up`) when dist/ holds newer code.
 */
import * as fs from 'node:fs';
import { InstallError } from '../../core/errors';
import type { ServiceName } from '../layout';
import { startDaemon } from '../process';
import { REPO_ROOT, repoPath } from '../repo';
import type { LocalService, ServiceContext } from './types';

export type NodeDaemonParts = Pick<LocalService, 'install' | 'start' | 'isStale'>;

/** install/start/isStale of a daemon whose entrypoint is `dist/workers/<script>`. */
export function nodeDaemon(name: ServiceName, script: string): NodeDaemonParts {
  const entry = repoPath('dist', 'workers', script);
  return {
    async install() {
      if (!fs.existsSync(entry)) throw new InstallError(`${entry} is missing: run \`npm run build\` first`);
    },
    async start(ctx: ServiceContext) {
      startDaemon({
        name,
        command: process.execPath,
        args: ['--enable-source-maps', '--require', repoPath('bin', 'node-warnings.js'), entry],
        cwd: REPO_ROOT,
        logFile: ctx.layout.logFile(name),
        pidFile: ctx.layout.pidFile(name),
      });
    },
    isStale(ctx: ServiceContext) {
      try {
        return fs.statSync(entry).mtimeMs > fs.statSync(ctx.layout.pidFile(name)).mtimeMs;
      } catch {
        return false;
      }
    },
  };
}
