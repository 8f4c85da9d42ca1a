/**
 * Trino (the Presto SQL engine's successor; see infra/versions.ts for why not PrestoDB here), one
 * node that is coordinator and worker, catalog `lake` = Hive connector over the local S3 with a
 * file metastore kept in the bucket itself (s3://<bucket>/_metastore), so the lake is self-describing.
 *
 * Trino enforces the serving API's access itself (docs/access.md): file-based access control over
 * etc/rules.json, re-read every second and rewritten from the key store at every `stack up` and by
 * `clicklake keys` (infra/trinoRules.ts), and file resource groups (etc/resource-groups.json) that
 * cap the API's queries without touching the pipeline's. A change to any other etc file (or to the
 * plugins) makes the running server stale, so `stack up` restarts it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Presto } from '../../activities/clients';
import type { ClicklakeConfig } from '../../core/config';
import { errorMessage } from '../../core/errors';
import { trinoResourceGroups } from '../../core/trinoRules';
import { installOnce, mavenTarball } from '../install';
import { runningPid, startDaemon } from '../process';
import { trinoEtcDir, trinoRulesFile, writeTrinoRules } from '../trinoRules';
import { findJavaHome } from '../tools';
import { VERSIONS } from '../versions';
import type { LocalService, ServiceContext } from './types';

/** Only the plugins the lake uses are loaded: Trino starts in seconds instead of a minute. */
const PLUGINS = ['hive', 'resource-group-managers'];

/** How often Trino re-reads rules.json: a revoked key stops working within about this long. */
const RULES_REFRESH = '1s';

/** The etc files of the server (rules.json aside: it changes with keys and is re-read, never a reason to restart). */
export function prestoEtcFiles(config: ClicklakeConfig, dataDir: string, pluginDir: string, etcDir: string): Record<string, string> {
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
    'access-control.properties': [
      'access-control.name=file',
      `security.config-file=${path.join(etcDir, 'rules.json')}`,
      `security.refresh-period=${RULES_REFRESH}`,
      '',
    ].join('\n'),
    'resource-groups.properties': ['resource-groups.configuration-manager=file', `resource-groups.config-file=${path.join(etcDir, 'resource-groups.json')}`, ''].join('\n'),
    'resource-groups.json': `${JSON.stringify(trinoResourceGroups(p.user), null, 2)}\n`,
  };
}

interface PrestoDirs {
  readonly stateDir: string;
  readonly etcDir: string;
  readonly dataDir: string;
  readonly pluginDir: string;
}

function dirsOf(ctx: ServiceContext): PrestoDirs {
  const stateDir = ctx.layout.dataDir('presto');
  return { stateDir, etcDir: trinoEtcDir(ctx.config), dataDir: path.join(stateDir, 'data'), pluginDir: path.join(stateDir, 'plugin') };
}

function readOrUndefined(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

/** What differs between the server's etc files and plugins on disk and what this code would write. */
export function prestoConfigDrift(ctx: ServiceContext): string[] {
  const { etcDir, dataDir, pluginDir } = dirsOf(ctx);
  const drift = Object.entries(prestoEtcFiles(ctx.config, dataDir, pluginDir, etcDir))
    .filter(([name, text]) => readOrUndefined(path.join(etcDir, name)) !== text)
    .map(([name]) => name);
  let plugins: string[] = [];
  try {
    plugins = fs.readdirSync(pluginDir).sort();
  } catch {
    // no plugin folder: drift below
  }
  if (plugins.join() !== [...PLUGINS].sort().join()) drift.push('plugins');
  return drift;
}

export const presto: LocalService = {
  name: 'presto',
  dependsOn: [],
  startTimeoutMs: 180_000,

  async install(ctx) {
    await installOnce(ctx, ctx.layout.trinoHome, `Trino ${VERSIONS.trino} (Maven Central, ~0.8 GB)`, (dir) =>
      mavenTarball(ctx, { groupId: 'io.trino', artifactId: 'trino-server', version: VERSIONS.trino }, dir, true),
    );
    // Every `stack up` brings the access rules up to the key store, whether Trino is running or not
    // (a running one applies them within RULES_REFRESH).
    const { users } = writeTrinoRules(ctx.config);
    ctx.progress(`presto access rules: ${users} API user(s) (${trinoRulesFile(ctx.config)})`);
  },

  async start(ctx) {
    const { stateDir, etcDir, dataDir, pluginDir } = dirsOf(ctx);
    fs.mkdirSync(path.join(etcDir, 'catalog'), { recursive: true });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.rmSync(pluginDir, { recursive: true, force: true });
    fs.mkdirSync(pluginDir, { recursive: true });
    for (const plugin of PLUGINS) fs.symlinkSync(path.join(ctx.layout.trinoHome, 'plugin', plugin), path.join(pluginDir, plugin));
    for (const [name, text] of Object.entries(prestoEtcFiles(ctx.config, dataDir, pluginDir, etcDir))) {
      fs.writeFileSync(path.join(etcDir, name), text, { mode: 0o600 });
    }
    // Trino refuses to start without the file access-control.properties names.
    writeTrinoRules(ctx.config);
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

  /** Running with other etc files or plugins than this code writes (e.g. before access control existed). */
  isStale(ctx) {
    if (runningPid(ctx.layout.pidFile('presto')) === undefined) return false;
    const drift = prestoConfigDrift(ctx);
    if (drift.length > 0) ctx.progress(`presto config changed (${drift.join(', ')})`);
    return drift.length > 0;
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
