/**
 * Cached installs. Each install builds into `<dir>.partial` and renames it to `<dir>` only when it is
 * complete, so an interrupted install is redone rather than trusted, and a finished one is skipped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InstallError } from '../core/errors';
import { runLogged } from './process';
import { requireGo, requireTool } from './tools';
import type { ServiceContext } from './services/types';

export function isInstalled(dir: string): boolean {
  return fs.existsSync(dir);
}

export async function installOnce(
  ctx: ServiceContext,
  dir: string,
  what: string,
  build: (partialDir: string) => Promise<void>,
): Promise<void> {
  if (isInstalled(dir)) return;
  const partial = `${dir}.partial`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  const started = Date.now();
  ctx.progress(`installing ${what} (first run only; log: ${ctx.layout.installLog})`);
  await build(partial);
  fs.renameSync(partial, dir);
  ctx.progress(`installed ${what} in ${Math.round((Date.now() - started) / 1000)} s`);
}

/** `go install module@version` into `binDir`, with the Go build cache kept in our cache folder. */
export async function goInstall(ctx: ServiceContext, modulePath: string, version: string, binDir: string): Promise<void> {
  const go = requireGo(25);
  const code = await runLogged(go, ['install', `${modulePath}@${version}`], {
    env: { GOBIN: binDir, GOFLAGS: '-trimpath', CGO_ENABLED: '0' },
    logFile: ctx.layout.installLog,
  });
  if (code !== 0) throw new InstallError(`go install ${modulePath}@${version} failed (exit ${code}); see ${ctx.layout.installLog}`);
}

/**
 * Maven's local repository is not safe for concurrent writers (two processes may fetch the same
 * plugin jar at once), so this process runs one Maven command at a time.
 */
let mavenQueue: Promise<unknown> = Promise.resolve();

function runMaven(ctx: ServiceContext, args: string[]): Promise<number> {
  const mvn = requireTool('mvn', 'fetch Kafka, the schema registry and Trino from Maven Central');
  const run = mavenQueue.then(() => runLogged(mvn, [...mavenArgs(ctx), ...args], { logFile: ctx.layout.installLog }));
  // The queue only orders the runs: this run's failure reaches its caller through `run`.
  mavenQueue = run.catch(() => undefined);
  return run;
}

function mavenArgs(ctx: ServiceContext): string[] {
  return ['-B', '-q', `-Dmaven.repo.local=${ctx.layout.m2Repo}`];
}

/**
 * Fetches a tar.gz artifact from Maven Central by its coordinates and unpacks it into `target`.
 * `strip` drops the archive's top folder. The tarball is deleted from the local repository after
 * unpacking: the unpacked folder is the cache.
 */
export async function mavenTarball(
  ctx: ServiceContext,
  coords: { groupId: string; artifactId: string; version: string; classifier?: string },
  target: string,
  strip: boolean,
): Promise<void> {
  const tar = requireTool('tar', 'unpack downloaded archives');
  const artifact = [coords.groupId, coords.artifactId, coords.version, 'tar.gz', coords.classifier].filter(Boolean).join(':');
  const code = await runMaven(ctx, ['dependency:get', `-Dartifact=${artifact}`, '-Dtransitive=false']);
  if (code !== 0) throw new InstallError(`mvn dependency:get ${artifact} failed (exit ${code}); see ${ctx.layout.installLog}`);
  const file = path.join(
    ctx.layout.m2Repo,
    ...coords.groupId.split('.'),
    coords.artifactId,
    coords.version,
    `${coords.artifactId}-${coords.version}${coords.classifier ? `-${coords.classifier}` : ''}.tar.gz`,
  );
  const untar = await runLogged(tar, ['-xzf', file, '-C', target, ...(strip ? ['--strip-components=1'] : [])], {
    logFile: ctx.layout.installLog,
  });
  if (untar !== 0) throw new InstallError(`unpacking ${file} failed (exit ${untar}); see ${ctx.layout.installLog}`);
  fs.rmSync(file, { force: true });
}

/** Resolves a small pom's dependencies (with their transitive runtime deps) into `libDir`. */
export async function mavenCopyDependencies(ctx: ServiceContext, pom: string, libDir: string, properties: Record<string, string>): Promise<void> {
  const props = Object.entries(properties).map(([k, v]) => `-D${k}=${v}`);
  const code = await runMaven(ctx, ['-f', pom, 'dependency:copy-dependencies', '-DincludeScope=runtime', `-DoutputDirectory=${libDir}`, ...props]);
  if (code !== 0) throw new InstallError(`mvn dependency:copy-dependencies (${pom}) failed (exit ${code}); see ${ctx.layout.installLog}`);
}
