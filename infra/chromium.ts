/**
 * A Chromium for the dashboard's browser test (test/integration/dashboard.test.ts): Debian's
 * `chromium` package, driven by playwright-core. Playwright's own browser download cannot work on
 * this machine's closed network, so the executable comes from apt, installed when missing (as root).
 */
import * as fs from 'node:fs';
import type { PathsConfig } from '../core/config';
import { InstallError } from '../core/errors';
import { layoutOf } from './layout';
import { ensureDebianPackage } from './tools';

/** Where Debian's package puts the browser. */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

/**
 * The flags every launch needs here: headless as root (no sandbox), no GPU, and none of Chromium's
 * own network traffic (QUIC, component updates, sync, first-run pings), which the closed network
 * refuses many at a time. The caller adds a new empty `--user-data-dir`.
 */
export const CHROMIUM_FLAGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The path of a Chromium executable: `/usr/bin/chromium`, or Debian's `chromium` installed now (root only). */
export async function ensureChromium(paths: PathsConfig): Promise<string> {
  if (fs.existsSync(DEBIAN_CHROMIUM)) return DEBIAN_CHROMIUM;
  const logFile = layoutOf(paths).installLog;
  try {
    return await ensureDebianPackage('chromium', 'chromium', logFile);
  } catch (err) {
    throw new InstallError(
      `Chromium is needed for the dashboard test and is not installed: ${(err as Error).message}. ` +
        'Install Debian\'s package as root (apt-get install -y chromium); Playwright\'s own browser download does not work here.',
      err,
    );
  }
}
