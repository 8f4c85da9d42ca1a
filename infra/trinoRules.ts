/**
 * Trino's access rules on disk: `<state>/presto/etc/rules.json`, which Trino re-reads every second
 * (access-control.properties, infra/services/presto.ts). Written from the key store at `stack up`
 * and by `clicklake keys` after every change (writeTrinoRules), whole, through a temporary file and
 * a rename, so Trino reads the old rules or the new ones, never half. core/trinoRules.ts decides.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { activeUsers, type KeyStore } from '../core/apiKeys';
import { readKeyStore } from './keyStore';
import type { ClicklakeConfig } from '../core/config';
import { trinoAccessRules, trinoRulesJson, type TrinoAccessRules } from '../core/trinoRules';
import { layoutOf } from './layout';

type Config = Pick<ClicklakeConfig, 'paths' | 'presto'>;

/** Trino's etc folder in the state folder. */
export function trinoEtcDir(config: Pick<ClicklakeConfig, 'paths'>): string {
  return path.join(layoutOf(config.paths).dataDir('presto'), 'etc');
}

/** The rules file named by access-control.properties. */
export function trinoRulesFile(config: Pick<ClicklakeConfig, 'paths'>): string {
  return path.join(trinoEtcDir(config), 'rules.json');
}

/** The rules for a key store, as Trino will read them. */
export function trinoRulesOf(config: Config, store: KeyStore): TrinoAccessRules {
  return trinoAccessRules({ users: activeUsers(store), pipelineUser: config.presto.user, catalog: config.presto.catalog });
}

/** Writes a text file whole: a temporary file beside it, then a rename (mode 0600). */
export function writeFileAtomically(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o600 });
  fs.renameSync(temp, file);
}

/**
 * (Re)writes rules.json for the store's active users (default: the store on disk). Trino applies it
 * within about a second (security.refresh-period). Returns the file and how many users it names.
 */
export function writeTrinoRules(config: Config, store: KeyStore = readKeyStore(config)): { file: string; users: number } {
  const file = trinoRulesFile(config);
  writeFileAtomically(file, trinoRulesJson(trinoRulesOf(config, store)));
  return { file, users: activeUsers(store).length };
}
