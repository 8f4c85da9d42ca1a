/**
 * Trino (the Presto SQL engine's successor; see infra/versions.ts for why not PrestoDB here), one
 * node that is coordinator and worker, catalog `lake` = Hive connector over the local S3 with a
 * file metastore kept in the bucket itself (s3://<bucket>/_metastore), so the lake is self-describing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Presto } from '../../activities/clients';
import type { ClicklakeConfig } from '../../core/config';
import { errorMessage } from '../../core/errors';
import { installOnce, mavenTarball } from '../install';
import { startDaemon } from '../process';
import { findJavaHome } from '../tools';
import { VERSIONS } from '../versions';
import type { LocalService } from './types';

/** Only the plugins the lake uses are loaded: Trino starts in seconds instead of a minute. */
const PLUGINS = ['hive'];

export function prestoEtcFiles(config: ClicklakeConfig, dataDir: string, pluginDir: string): Record<string, string> {
  const p = config.presto;
  const heap = p.heapMb;
  const queryMemoryMb = Math.floor(heap * 0.6);
  return {
    'node.properties': [
      'node.environment=clicklake',
      'node.id=clicklake-local',
      `node.data-dir=${dataDir}`,
      `node.bind-ip=${p.host}`,
      `node.internal-address=${p.host}`,
      '',
    ].join('\n'),
    'jvm.config': [
      '-server',
      `-Xmx${heap}m`,
      '-XX:+UseG1GC',
      '-XX:+ExitOnOutOfMemoryError',
      '-XX:-OmitStackTraceInFastThrow',
      '-XX:ReservedCodeCacheSize=256M',
      '-XX:+EnableDynamicAgentLoading',
      '-Djdk.attach.allowAttachSelf=true',
      '-Dfile.encoding=UTF-8',
      '',
    ].join('\n'),
    'config.properties': [
      'coordinator=true',
      'node-scheduler.include-coordinator=true',
      `http-server.http.port=${p.port}`,
      `discovery.uri=http://${p.host}:${p.port}`,
      `plugin.dir=${pluginDir}`,
      `query.max-memory=${queryMemoryMb}MB`,
      `query.max-memory-per-node=${queryMemoryMb}MB`,
      '',
    ].join('\n'),
    'log.properties': ['io.trino=WARN', 'io.trino.server.Server=INFO', ''].join('\n'),
    [`catalog/${p.catalog}.properties`]: [
      'connector.name=hive',
      'hive.metastore=file',
      `hive.metastore.catalog.dir=s3://${config.s3.bucket}/_metastore`,
      'hive.storage-format=PARQUET',
      'hive.compression-codec=ZSTD',
      // Tables are external over objects the pipeline writes; Presto may also write (Gold INSERTs).
      'hive.non-managed-table-writes-enabled=true',
      'hive.recursive-directories=true',
      // Promotion registers each hour's partition at its versioned location (atomic publish).
      'hive.allow-register-partition-procedure=true',
      'fs.native-s3.enabled=true',
      `s3.endpoint=${config.s3.endpoint}`,
      `s3.region=${config.s3.region}`,
      's3.path-style-access=true',
      `s3.aws-access-key=${config.s3.accessKeyId}`,
      `s3.aws-secret-key=${config.s3.secretAccessKey}`,
      '',
    ].join('\n'),
  };
}

export const presto: LocalService = {
  name: 'presto',
  dependsOn: [],
  startTimeoutMs: 180_000,

  async install(ctx) {
    await installOnce(ctx, ctx.layout.trinoHome, `Trino ${VERSIONS.trino} (Maven Central, ~0.8 GB)`, (dir) =>
      mavenTarball(ctx, { groupId: 'io.trino', artifactId: 'trino-server', version: VERSIONS.trino }, dir, true),
    );
  },

  async start(ctx) {
    const stateDir = ctx.layout.dataDir('presto');
    const etcDir = path.join(stateDir, 'etc');
    const dataDir = path.join(stateDir, 'data');
    const pluginDir = path.join(stateDir, 'plugin');
    fs.mkdirSync(path.join(etcDir, 'catalog'), { recursive: true });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.rmSync(pluginDir, { recursive: true, force: true });
    fs.mkdirSync(pluginDir, { recursive: true });
    for (const plugin of PLUGINS) fs.symlinkSync(path.join(ctx.layout.trinoHome, 'plugin', plugin), path.join(pluginDir, plugin));
    for (const [name, text] of Object.entries(prestoEtcFiles(ctx.config, dataDir, pluginDir))) {
      fs.writeFileSync(path.join(etcDir, name), text, { mode: 0o600 });
    }
    // The launcher keeps a pid file of its own and refuses to start while it names a live process; we
    // own the lifecycle (our pid file), and a stale one could name an unrelated process after a reboot.
    fs.rmSync(path.join(dataDir, 'var', 'run', 'launcher.pid'), { force: true });
    const javaHome = findJavaHome(VERSIONS.trinoMinJava, `Trino ${VERSIONS.trino}`);
    startDaemon({
      name: 'presto',
      command: path.join(ctx.layout.trinoHome, 'bin', 'launcher'),
      args: ['run', `--etc-dir=${etcDir}`, `--data-dir=${dataDir}`],
      cwd: stateDir,
      env: { JAVA_HOME: javaHome, PATH: `${path.join(javaHome, 'bin')}:${process.env.PATH ?? ''}` },
      logFile: ctx.layout.logFile('presto'),
      pidFile: ctx.layout.pidFile('presto'),
    });
  },

  async probe(ctx) {
    try {
      const { rows } = await new Presto(ctx.config.presto, { timeoutSeconds: 10 }).query('SELECT 1');
      const one = rows[0]?.[0];
      return { healthy: one === 1, detail: `SELECT 1 returned ${JSON.stringify(one)}` };
    } catch (err) {
      return { healthy: false, detail: errorMessage(err) };
    }
  },

  endpoints: (config) => ({ url: config.presto.url, catalog: config.presto.catalog, engine: `trino ${VERSIONS.trino}` }),
};
