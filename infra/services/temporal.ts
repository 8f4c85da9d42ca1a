/** Temporal dev server from the official `temporal` CLI, persisted to SQLite, Web UI on. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { connectTemporal } from '../../activities/clients';
import { SEARCH_ATTRIBUTES } from '../../core/searchAttributes';
import { errorMessage } from '../../core/errors';
import { goInstall, installOnce } from '../install';
import { startDaemon } from '../process';
import { VERSIONS } from '../versions';
import type { LocalService } from './types';

export const temporal: LocalService = {
  name: 'temporal',
  dependsOn: [],
  startTimeoutMs: 60_000,

  async install(ctx) {
    await installOnce(ctx, ctx.layout.temporalBinDir, `Temporal CLI ${VERSIONS.temporalCli} (go install)`, (dir) =>
      goInstall(ctx, 'github.com/temporalio/cli/cmd/temporal', VERSIONS.temporalCli, dir),
    );
  },

  async start(ctx) {
    const { temporal: t } = ctx.config;
    const dataDir = ctx.layout.dataDir('temporal');
    fs.mkdirSync(dataDir, { recursive: true });
    const args = [
      'server',
      'start-dev',
      '--ip',
      t.host,
      '--port',
      String(t.port),
      '--ui-ip',
      t.host,
      '--ui-port',
      String(t.uiPort),
      // Without a database file the dev server keeps everything in memory and loses it on restart.
      '--db-filename',
      path.join(dataDir, 'temporal.db'),
      '--namespace',
      t.namespace,
      '--log-level',
      'warn',
      ...Object.entries(SEARCH_ATTRIBUTES).flatMap(([name, type]) => ['--search-attribute', `${name}=${type}`]),
    ];
    startDaemon({
      name: 'temporal',
      command: path.join(ctx.layout.temporalBinDir, 'temporal'),
      args,
      cwd: dataDir,
      logFile: ctx.layout.logFile('temporal'),
      pidFile: ctx.layout.pidFile('temporal'),
    });
  },

  async probe(ctx) {
    const { temporal: t } = ctx.config;
    let connection;
    try {
      connection = await connectTemporal(t);
      const ns = await connection.workflowService.describeNamespace({ namespace: t.namespace });
      return { healthy: true, detail: `namespace ${ns.namespaceInfo?.name ?? t.namespace} ${ns.namespaceInfo?.state === 1 ? 'registered' : 'present'}` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    } finally {
      await connection?.close();
    }
  },

  endpoints: (config) => ({ address: config.temporal.address, ui: config.temporal.uiUrl, namespace: config.temporal.namespace }),
};
