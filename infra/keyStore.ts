/**
 * The key store of the serving API on disk: `<state>/api-keys.json` (mode 0600, digests only, written
 * whole through a temporary file and a rename, so a reader sees the old store or the new one), and
 * the local admin key in `<state>/admin-key`, created once with the store (what `stack status --json`
 * prints as the API's `admin_key`). core/apiKeys.ts decides; this file only reads and writes.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { addKey, EMPTY_KEY_STORE, type KeyRecord, type KeyStore, type NewKeyInput, newKeyRecord, newKeyText, newSigningSecret, parseKeyStore, revokeKeys } from '../core/apiKeys';
import type { ClicklakeConfig } from '../core/config';
import { BadInputError } from '../core/errors';

/** The name of the local admin key's user. */
export const LOCAL_ADMIN = 'admin';

export function keyStoreFile(config: Pick<ClicklakeConfig, 'paths'>): string {
  return path.join(config.paths.stateDir, 'api-keys.json');
}

function adminKeyFile(config: Pick<ClicklakeConfig, 'paths'>): string {
  return path.join(config.paths.stateDir, 'admin-key');
}

export function readKeyStore(config: Pick<ClicklakeConfig, 'paths'>): KeyStore {
  const file = keyStoreFile(config);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY_KEY_STORE;
    throw err;
  }
  return parseKeyStore(text, file);
}

function writeKeyStore(config: Pick<ClicklakeConfig, 'paths'>, store: KeyStore): void {
  const file = keyStoreFile(config);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, `${JSON.stringify(store, null, 2)}\n`, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/**
 * Creates a key; the key text is returned once and never stored. `signed`: the key must sign its
 * batches to the collector, with the signing secret returned here once.
 */
export function createKey(
  config: Pick<ClicklakeConfig, 'paths' | 'presto'>,
  input: NewKeyInput & { signed?: boolean },
  nowMs: number,
): { record: KeyRecord; apiKey: string; signingSecret?: string } {
  // The pipeline's own Trino user has every right: no key may act as it.
  if (input.name === config.presto.user) throw new BadInputError(`name: ${config.presto.user} is the pipeline's own Trino user; pick another name`);
  const apiKey = newKeyText(randomBytes(24));
  const signingSecret = input.signed === true ? newSigningSecret(randomBytes(32)) : undefined;
  const record = newKeyRecord(input, apiKey, nowMs, signingSecret);
  writeKeyStore(config, addKey(readKeyStore(config), record));
  return { record, apiKey, ...(signingSecret === undefined ? {} : { signingSecret }) };
}

export function revokeKey(config: Pick<ClicklakeConfig, 'paths'>, target: { name: unknown; id?: unknown }, nowMs: number): string[] {
  const { store, revoked } = revokeKeys(readKeyStore(config), target, nowMs);
  writeKeyStore(config, store);
  return revoked;
}

/**
 * The local admin key: read from `<state>/admin-key`, or created (and stored hashed under the user
 * `admin`) on the first call. A revoked local admin key is replaced by a new one on the next call.
 */
export function ensureAdminKey(config: Pick<ClicklakeConfig, 'paths'>, nowMs: number): string {
  const file = adminKeyFile(config);
  let existing: string | undefined;
  try {
    existing = fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const store = readKeyStore(config);
  if (existing !== undefined && existing !== '') {
    const record = newKeyRecord({ name: LOCAL_ADMIN, role: 'admin' }, existing, nowMs);
    if (store.keys.some((k) => k.sha256 === record.sha256 && k.revoked_at === undefined)) return existing;
  }
  const apiKey = newKeyText(randomBytes(24));
  writeKeyStore(config, addKey(store, newKeyRecord({ name: LOCAL_ADMIN, role: 'admin' }, apiKey, nowMs)));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(`${file}.tmp`, `${apiKey}\n`, { mode: 0o600 });
  fs.renameSync(`${file}.tmp`, file);
  return apiKey;
}

/** The local admin key if it exists (no creation): for `stack status`. */
export function localAdminKey(config: Pick<ClicklakeConfig, 'paths'>): string | undefined {
  try {
    return fs.readFileSync(adminKeyFile(config), 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}


/**
 * The store as a long-running process sees it: re-read when the file's mtime changes, looked at
 * no more than every `everyMs` (a `keys create` or `revoke` takes effect within that), or at once
 * when `force`d.
 */
export function watchKeyStore(config: Pick<ClicklakeConfig, 'paths'>, everyMs = 500): (force?: boolean) => KeyStore {
  const file = keyStoreFile(config);
  let store = EMPTY_KEY_STORE;
  let mtimeMs = -2;
  let checkedMs = -Infinity;
  return (force = false) => {
    const now = Date.now();
    if (!force && now - checkedMs < everyMs) return store;
    checkedMs = now;
    let current = -1;
    try {
      current = fs.statSync(file).mtimeMs;
    } catch {
      // No store yet: no keys.
    }
    if (current !== mtimeMs) {
      store = current === -1 ? EMPTY_KEY_STORE : readKeyStore(config);
      mtimeMs = current;
    }
    return store;
  };
}
