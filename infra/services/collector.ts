/** The collector (workers/collector.ts) as a daemon of the local stack, run from the compiled dist/. */
import * as fs from 'node:fs';
import { errorMessage, InstallError } from '../../core/errors';
import { startDaemon } from '../process';
import { REPO_ROOT, repoPath } from '../repo';
import type { LocalService } from './types';

const ENTRY = repoPath('dist', 'workers', 'collector.js');

export const collector: LocalService = {
  name: 'collector',
  dependsOn: ['kafka', 'schema_registry'],
  startTimeoutMs: 60_000,

  async install() {
    if (!fs.existsSync(ENTRY)) throw new InstallError(`${ENTRY} is missing: run \`npm run build\` first`);
  },

  async start(ctx) {
    startDaemon({
      name: 'collector',
      command: process.execPath,
      args: ['--enable-source-maps', '--require', repoPath('bin', 'node-warnings.js'), ENTRY],
      cwd: REPO_ROOT,
      logFile: ctx.layout.logFile('collector'),
      pidFile: ctx.layout.pidFile('collector'),
    });
  },

  async probe(ctx) {
    try {
      const res = await fetch(`${ctx.config.collector.url}/healthz`, { signal: AbortSignal.timeout(3000) });
      const body = (await res.json()) as { status?: string };
      return { healthy: res.status === 200, detail: `GET /healthz answered ${res.status} ${body.status ?? ''}`.trim() };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    }
  },

  isStale(ctx) {
    try {
      return fs.statSync(ENTRY).mtimeMs > fs.statSync(ctx.layout.pidFile('collector')).mtimeMs;
    } catch {
      return false;
    }
  },

  endpoints: (config) => ({ url: config.collector.url, api_key: config.collector.apiKeys[0] ?? '' }),
};
