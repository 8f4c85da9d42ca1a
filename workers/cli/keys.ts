/**
 * `clicklake keys create --name N --role R [--advertiser A] [--scopes S,S] [--signed]` / `keys list` / `keys revoke --name N [--id K]`:
 * API keys of the serving API (core/apiKeys.ts, workers/keys.ts). `create` prints the key once; the
 * store keeps only its digest. After a change the engine's rules are rewritten (infra/trinoRules.ts).
 */
import type { KeyRecord } from '../../core/apiKeys';
import { ROLES, SCOPES, scopesOf } from '../../core/apiKeys';
import { loadConfig } from '../config';
import { defineCommand, flagOption, textOption } from './command';

/** What `keys list --json` prints per key: never the digest. */
export interface KeyListing {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly advertiser_id: string | null;
  readonly created_at: string;
  readonly revoked_at: string | null;
  readonly active: boolean;
  /** What the key may do (its role's unless set at creation). */
  readonly scopes: readonly string[];
  /** Whether the collector requires its batches signed. */
  readonly signed: boolean;
}

function listing(k: KeyRecord): KeyListing {
  return {
    id: k.id,
    name: k.name,
    role: k.role,
    advertiser_id: k.advertiser_id ?? null,
    created_at: new Date(k.created_at).toISOString(),
    revoked_at: k.revoked_at === undefined ? null : new Date(k.revoked_at).toISOString(),
    active: k.revoked_at === undefined,
    scopes: scopesOf(k),
    signed: k.signing_secret !== undefined,
  };
}

/** Trino's access rules follow the change: rules.json rewritten, re-read by Trino within a second. */
async function afterChange(): Promise<void> {
  const { writeTrinoRules } = await import('../../infra/trinoRules');
  writeTrinoRules(loadConfig());
  // Trino re-reads the file every second (security.refresh-period): the new rules hold after that.
  await new Promise((resolve) => setTimeout(resolve, 1500));
}

export const keysCreateCommand = defineCommand({
  name: 'keys create',
  summary: `create an API key for a user with a role (${ROLES.join(', ')}); prints the key once`,
  options: {
    name: textOption('N', 'the user name (the Trino user of its queries)', { required: true }),
    role: textOption('R', `one of ${ROLES.join(', ')}`, { required: true }),
    advertiser: textOption('A', 'campaign_manager only: the advertiser whose campaigns the key sees'),
    scopes: textOption('S,S', `what the key may do, comma-separated of ${SCOPES.join(', ')} (default: its role's)`),
    signed: flagOption('the collector requires this key\'s batches signed (Clicklake-Signature); prints the signing secret once'),
  },
  async run({ name, role, advertiser, scopes, signed }) {
    const { createKey } = await import('../../infra/keyStore');
    const { record, apiKey, signingSecret } = createKey(loadConfig(), { name, role, advertiser, scopes, signed }, Date.now());
    await afterChange();
    const value = {
      name: record.name,
      role: record.role,
      api_key: apiKey,
      id: record.id,
      ...(record.advertiser_id === undefined ? {} : { advertiser_id: record.advertiser_id }),
      scopes: scopesOf(record),
      ...(signingSecret === undefined ? {} : { signing_secret: signingSecret }),
    };
    const secretLine = signingSecret === undefined ? '' : `signing secret (Clicklake-Signature):\n  ${signingSecret}\n`;
    return {
      value,
      text: () =>
        `key ${record.id} for ${record.name} (${record.role}${record.advertiser_id ? `, advertiser ${record.advertiser_id}` : ''}; scopes ${scopesOf(record).join(',')}):\n  ${apiKey}\n${secretLine}Keep it: it is not shown again.\n`,
    };
  },
});

export const keysListCommand = defineCommand({
  name: 'keys list',
  summary: 'list the API keys (id, user, role, scopes, created, revoked), never the keys themselves',
  options: {},
  async run() {
    const { readKeyStore } = await import('../../infra/keyStore');
    const keys = readKeyStore(loadConfig()).keys.map(listing);
    const text = () =>
      keys.length === 0
        ? 'no keys yet (`clicklake stack up` creates the local admin key)\n'
        : `${keys.map((k) => `${k.id}  ${k.name.padEnd(20)} ${k.role.padEnd(16)} ${(k.advertiser_id ?? '').padEnd(10)} ${k.scopes.join(',').padEnd(17)} created ${k.created_at}${k.active ? '' : `  REVOKED ${k.revoked_at}`}`).join('\n')}\n`;
    return { value: keys, text };
  },
});

export const keysRevokeCommand = defineCommand({
  name: 'keys revoke',
  summary: 'revoke every active key of a user, or one of them with --id (rotation: create the new key first)',
  options: {
    name: textOption('N', 'the user name', { required: true }),
    id: textOption('K', 'only this key of the user (as `keys list` shows it)'),
  },
  async run({ name, id }) {
    const { revokeKey } = await import('../../infra/keyStore');
    const revoked = revokeKey(loadConfig(), { name, id }, Date.now());
    await afterChange();
    return { value: { name, revoked }, text: () => `revoked ${revoked.join(', ')} of ${name}\n` };
  },
});
