/**
 * API keys of the serving API and the collector (CONTRACT §2b, §4 `clicklake keys`): each carries a
 * user name, a role and scopes (docs/api.md), is stored only as its SHA-256 digest, and several may be valid at once under one name, so a
 * key is rotated by creating the new one, moving clients, then revoking the old one by its id.
 *
 * The store is one JSON document (workers/keys.ts keeps it in the state folder); this module holds
 * what decides: names, roles, the key format and who a presented key is.
 */
import { createHash } from 'node:crypto';
import { BadInputError } from './errors';

/** The serving API's roles (CONTRACT §2b), then `collector`: a key that only sends events to the collector. */
export const ROLES = ['admin', 'analyst', 'finance', 'product', 'campaign_manager', 'collector'] as const;
export type Role = (typeof ROLES)[number];

/**
 * What a key may do: `ingest` (send events to the collector), `read` (the serving API's reads and
 * queries), `admin` (the API's admin routes: erasures). A key without explicit scopes has its role's.
 */
export const SCOPES = ['ingest', 'read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The scopes a role's keys have unless set at creation. */
export function defaultScopes(role: Role): readonly Scope[] {
  if (role === 'admin') return ['ingest', 'read', 'admin'];
  if (role === 'collector') return ['ingest'];
  return ['read'];
}

/** One key as stored: never the key itself. */
export interface KeyRecord {
  /** Short public id of this key (shown by `keys list`, used to revoke one key of several). */
  readonly id: string;
  /** The user the key acts as: the Trino user of its queries, the name of its rate budget. */
  readonly name: string;
  readonly role: Role;
  /** campaign_manager only: the advertiser whose campaigns the key may see (Trino row filter). */
  readonly advertiser_id?: string;
  /** Set at creation (`--scopes`); absent: the role's (defaultScopes). */
  readonly scopes?: readonly Scope[];
  /**
   * Present when the key must sign its batches (`--signed`): the HMAC secret, kept as is because the
   * collector recomputes the signature with it (the store file is mode 0600); shown once at creation.
   */
  readonly signing_secret?: string;
  /** Hex SHA-256 of the key. */
  readonly sha256: string;
  readonly created_at: number;
  /** Epoch ms; a revoked key is kept (so `keys list` shows it) and never accepted again. */
  readonly revoked_at?: number;
}

export interface KeyStore {
  readonly version: 1;
  readonly keys: readonly KeyRecord[];
}

export const EMPTY_KEY_STORE: KeyStore = { version: 1, keys: [] };

/** The user a presented key stands for. */
export interface ApiUser {
  readonly name: string;
  readonly role: Role;
  readonly advertiser_id?: string;
  readonly key_id: string;
  /** Always set by authenticate; absent (the role's) where a user is built by hand. */
  readonly scopes?: readonly Scope[];
}

/** User names are Trino user names and Redis key parts: lowercase letters, digits, `.`, `_`, `-`. */
const NAME = /^[a-z][a-z0-9._-]{0,62}$/;
const ADVERTISER = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const KEY_ID = /^k[0-9a-f]{8}$/;

export function checkName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !NAME.test(name)) throw new BadInputError(`${field}: must be 1-63 of a-z 0-9 . _ - starting with a letter, got ${JSON.stringify(name)}`);
  return name;
}

export function checkRole(role: unknown, field = 'role'): Role {
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) throw new BadInputError(`${field}: must be one of ${ROLES.join(', ')}, got ${JSON.stringify(role)}`);
  return role as Role;
}

export function checkAdvertiser(role: Role, advertiser: unknown): string | undefined {
  if (role !== 'campaign_manager') {
    if (advertiser !== undefined) throw new BadInputError(`advertiser: only a campaign_manager key has an advertiser (role is ${role})`);
    return undefined;
  }
  if (typeof advertiser !== 'string' || !ADVERTISER.test(advertiser)) throw new BadInputError(`advertiser: a campaign_manager key needs --advertiser ID (a-z 0-9 _ -), got ${JSON.stringify(advertiser)}`);
  return advertiser;
}

/**
 * Explicit scopes (`ingest,read`), checked against the role: only an admin key may have `admin`, and
 * a collector key reads nothing (the engine's rules give it no table), so it may not have `read`.
 * Undefined stays undefined (the role's scopes).
 */
export function checkScopes(role: Role, scopes: unknown, field = 'scopes'): Scope[] | undefined {
  if (scopes === undefined) return undefined;
  const list = typeof scopes === 'string' ? scopes.split(',').map((s) => s.trim()) : scopes;
  if (!Array.isArray(list) || list.length === 0) throw new BadInputError(`${field}: a comma-separated list of ${SCOPES.join(', ')}, got ${JSON.stringify(scopes)}`);
  const out: Scope[] = [];
  for (const s of list as unknown[]) {
    if (typeof s !== 'string' || !(SCOPES as readonly string[]).includes(s)) throw new BadInputError(`${field}: each must be one of ${SCOPES.join(', ')}, got ${JSON.stringify(s)}`);
    if (!out.includes(s as Scope)) out.push(s as Scope);
  }
  if (out.includes('admin') && role !== 'admin') throw new BadInputError(`${field}: only an admin key may have the admin scope (role is ${role})`);
  if (out.includes('read') && role === 'collector') throw new BadInputError(`${field}: a collector key reads nothing, so it may not have the read scope`);
  return SCOPES.filter((s) => out.includes(s));
}

export function scopesOf(record: Pick<KeyRecord, 'role' | 'scopes'>): readonly Scope[] {
  return record.scopes ?? defaultScopes(record.role);
}

export function keyDigest(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A new key from 24 random bytes (the caller draws them: this module stays free of randomness). */
export function newKeyText(random: Buffer): string {
  if (random.length < 24) throw new BadInputError('random: at least 24 bytes');
  return `ck_${random.subarray(0, 24).toString('base64url')}`;
}

/** A signing secret from 32 random bytes (drawn by the caller). */
export function newSigningSecret(random: Buffer): string {
  if (random.length < 32) throw new BadInputError('random: at least 32 bytes');
  return `whsec_${random.subarray(0, 32).toString('base64url')}`;
}

export interface NewKeyInput {
  readonly name: unknown;
  readonly role: unknown;
  readonly advertiser?: unknown;
  readonly scopes?: unknown;
}

/** A new record for `key`; its id is the first 8 hex digits of the digest. `signingSecret`: the key must sign its batches. */
export function newKeyRecord(input: NewKeyInput, key: string, nowMs: number, signingSecret?: string): KeyRecord {
  const name = checkName(input.name);
  const role = checkRole(input.role);
  const advertiser = checkAdvertiser(role, input.advertiser);
  const scopes = checkScopes(role, input.scopes);
  if (signingSecret !== undefined && !scopesOf({ role, scopes }).includes('ingest')) throw new BadInputError('signed: only a key with the ingest scope sends batches to sign');
  const sha256 = keyDigest(key);
  return {
    id: `k${sha256.slice(0, 8)}`,
    name,
    role,
    ...(advertiser === undefined ? {} : { advertiser_id: advertiser }),
    ...(scopes === undefined ? {} : { scopes }),
    ...(signingSecret === undefined ? {} : { signing_secret: signingSecret }),
    sha256,
    created_at: nowMs,
  };
}

export function addKey(store: KeyStore, record: KeyRecord): KeyStore {
  if (store.keys.some((k) => k.sha256 === record.sha256 || k.id === record.id)) throw new BadInputError('api_key: already stored');
  const sameName = store.keys.filter((k) => k.name === record.name && k.revoked_at === undefined);
  const other = sameName.find((k) => k.role !== record.role || k.advertiser_id !== record.advertiser_id);
  // A name is one user: its keys are interchangeable, so they cannot differ in what they may see.
  if (other !== undefined) throw new BadInputError(`name: ${record.name} already has active keys with role ${other.role}${other.advertiser_id ? ` (advertiser ${other.advertiser_id})` : ''}; revoke them or pick another name`);
  return { ...store, keys: [...store.keys, record] };
}

/**
 * Revokes every active key of `name`, or only key `id` of it. Returns the store and the ids revoked;
 * revoking nothing is a bad input (a typo must not look like success).
 */
export function revokeKeys(store: KeyStore, target: { name: unknown; id?: unknown }, nowMs: number): { store: KeyStore; revoked: string[] } {
  const name = checkName(target.name);
  if (target.id !== undefined && (typeof target.id !== 'string' || !KEY_ID.test(target.id))) throw new BadInputError(`id: must be k and 8 hex digits, got ${JSON.stringify(target.id)}`);
  const revoked: string[] = [];
  const keys = store.keys.map((k) => {
    if (k.name !== name || k.revoked_at !== undefined || (target.id !== undefined && k.id !== target.id)) return k;
    revoked.push(k.id);
    return { ...k, revoked_at: nowMs };
  });
  if (revoked.length === 0) throw new BadInputError(`name: no active key${target.id === undefined ? '' : ` ${String(target.id)}`} of ${name}`);
  return { store: { ...store, keys }, revoked };
}

/** The user of a presented key, or undefined when no active key has its digest. */
export function authenticate(store: KeyStore, presented: string): ApiUser | undefined {
  const digest = keyDigest(presented);
  const record = store.keys.find((k) => k.sha256 === digest && k.revoked_at === undefined);
  if (record === undefined) return undefined;
  return userOf(record);
}

function userOf(k: KeyRecord): ApiUser {
  return { name: k.name, role: k.role, ...(k.advertiser_id === undefined ? {} : { advertiser_id: k.advertiser_id }), key_id: k.id, scopes: scopesOf(k) };
}

/** An active key the collector accepts (one with the `ingest` scope), as the collector needs it. */
export interface IngestKey {
  readonly id: string;
  readonly name: string;
  readonly sha256: string;
  /** Present when the key must sign its batches. */
  readonly signing_secret?: string;
}

/** The active keys with the `ingest` scope (by default: `collector` and `admin` keys). */
export function ingestKeys(store: KeyStore): IngestKey[] {
  return store.keys
    .filter((k) => k.revoked_at === undefined && scopesOf(k).includes('ingest'))
    .map((k) => ({ id: k.id, name: k.name, sha256: k.sha256, ...(k.signing_secret === undefined ? {} : { signing_secret: k.signing_secret }) }));
}

/** Digests of the active keys the collector accepts (besides its configured ones): those with `ingest`. */
export function collectorKeyDigests(store: KeyStore): string[] {
  return ingestKeys(store).map((k) => k.sha256);
}

/** The users with at least one active key (for the engine's rules: core/trinoRules.ts). */
export function activeUsers(store: KeyStore): ApiUser[] {
  const seen = new Map<string, ApiUser>();
  for (const k of store.keys) {
    if (k.revoked_at !== undefined || seen.has(k.name)) continue;
    seen.set(k.name, userOf(k));
  }
  return [...seen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function parseKeyStore(text: string, source: string): KeyStore {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new BadInputError(`${source}: not JSON (${(err as Error).message})`);
  }
  const v = parsed as { version?: unknown; keys?: unknown };
  if (typeof parsed !== 'object' || parsed === null || v.version !== 1 || !Array.isArray(v.keys)) throw new BadInputError(`${source}: not a clicklake key store (version 1 with keys[])`);
  const keys = v.keys.map((k: unknown, i: number): KeyRecord => {
    const r = k as Record<string, unknown>;
    const field = (f: string) => `${source}: keys[${i}].${f}`;
    if (typeof r.id !== 'string' || !KEY_ID.test(r.id)) throw new BadInputError(`${field('id')}: must be k and 8 hex digits`);
    if (typeof r.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(r.sha256)) throw new BadInputError(`${field('sha256')}: must be 64 hex digits`);
    if (typeof r.created_at !== 'number') throw new BadInputError(`${field('created_at')}: must be epoch ms`);
    if (r.revoked_at !== undefined && typeof r.revoked_at !== 'number') throw new BadInputError(`${field('revoked_at')}: must be epoch ms`);
    const role = checkRole(r.role, field('role'));
    const advertiser = checkAdvertiser(role, r.advertiser_id);
    const scopes = checkScopes(role, r.scopes, field('scopes'));
    if (r.signing_secret !== undefined && (typeof r.signing_secret !== 'string' || r.signing_secret.length < 32)) throw new BadInputError(`${field('signing_secret')}: must be a string of at least 32 characters`);
    return {
      id: r.id,
      name: checkName(r.name, field('name')),
      role,
      ...(advertiser === undefined ? {} : { advertiser_id: advertiser }),
      ...(scopes === undefined ? {} : { scopes }),
      ...(r.signing_secret === undefined ? {} : { signing_secret: r.signing_secret as string }),
      sha256: r.sha256,
      created_at: r.created_at,
      ...(r.revoked_at === undefined ? {} : { revoked_at: r.revoked_at as number }),
    };
  });
  return { version: 1, keys };
}
