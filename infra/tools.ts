/**
 * Finds the host tools the install and start steps need (Go, Java, Maven, tar, redis-server) and
 * installs what Debian can provide, with a clear message where that is impossible.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InstallError } from '../core/errors';
import { runLogged, runSync, which } from './process';

/** The feature version of a JDK home, from its `release` file (JAVA_VERSION="25.0.1"). */
export function javaVersionOf(javaHome: string): number | undefined {
  try {
    const release = fs.readFileSync(path.join(javaHome, 'release'), 'utf8');
    const m = /^JAVA_VERSION="(\d+)(?:\.|")/m.exec(release);
    return m?.[1] === undefined ? undefined : Number(m[1]);
  } catch {
    return undefined;
  }
}

function javaHomeCandidates(): string[] {
  const homes: string[] = [];
  if (process.env.JAVA_HOME) homes.push(process.env.JAVA_HOME);
  const java = which('java');
  if (java) homes.push(path.dirname(path.dirname(fs.realpathSync(java))));
  for (const root of ['/usr/lib/jvm', '/opt/java', '/opt']) {
    try {
      for (const entry of fs.readdirSync(root)) homes.push(path.join(root, entry));
    } catch {
      // no such folder
    }
  }
  return homes;
}

/**
 * A JDK home whose version is at least `min` (and at most `max`, when given), preferring the lowest
 * such version: services run on the JDK they were built and tested for.
 */
export function findJavaHome(min: number, purpose: string, max = Number.POSITIVE_INFINITY): string {
  const found = javaHomeCandidates()
    .map((home) => ({ home, version: javaVersionOf(home) }))
    .filter((c): c is { home: string; version: number } => c.version !== undefined && c.version >= min && c.version <= max)
    .sort((a, b) => a.version - b.version);
  const best = found[0];
  if (best === undefined) {
    throw new InstallError(
      `${purpose} needs a JDK ${min}${Number.isFinite(max) ? `–${max}` : '+'}; none found in JAVA_HOME, on PATH or under /usr/lib/jvm. ` +
        'Install one (machines of this kind ship OpenJDK 17 and Temurin 25) and set JAVA_HOME.',
    );
  }
  return best.home;
}

let aptUpdated = false;

/** Installs Debian packages when a tool is missing; only as root, with apt-get present. */
export async function ensureDebianPackage(command: string, pkg: string, logFile: string): Promise<string> {
  const existing = which(command) ?? (fs.existsSync(`/usr/sbin/${command}`) ? `/usr/sbin/${command}` : undefined);
  if (existing) return existing;
  if (process.getuid?.() !== 0 || !which('apt-get')) {
    throw new InstallError(`\`${command}\` is missing: install the Debian package "${pkg}" (sudo apt-get install -y ${pkg})`);
  }
  const env = { DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    await runLogged('apt-get', ['update', '-qq'], { env, logFile });
    aptUpdated = true;
  }
  const code = await runLogged('apt-get', ['install', '-y', '-qq', '--no-install-recommends', pkg], { env, logFile });
  const installed = which(command) ?? (fs.existsSync(`/usr/sbin/${command}`) ? `/usr/sbin/${command}` : undefined);
  if (code !== 0 || !installed) throw new InstallError(`apt-get install ${pkg} failed (exit ${code}); see ${logFile}`);
  return installed;
}

export function requireTool(command: string, why: string): string {
  const found = which(command);
  if (!found) throw new InstallError(`\`${command}\` is not on PATH; it is needed to ${why}`);
  return found;
}

/** Go must be new enough for the modules we build (the Temporal CLI's go.mod says go 1.25). */
export function requireGo(minMinor: number): string {
  const go = requireTool('go', 'build the Temporal CLI and MinIO');
  const out = runSync(go, ['env', 'GOVERSION']).stdout.trim();
  const m = /^go1\.(\d+)/.exec(out);
  if (m?.[1] !== undefined && Number(m[1]) < minMinor) {
    throw new InstallError(`Go ${out} is too old: go1.${minMinor} or later is needed (GOTOOLCHAIN=auto can fetch one through the module proxy)`);
  }
  return go;
}
