import { activeUsers, addKey, authenticate, EMPTY_KEY_STORE, keyDigest, newKeyRecord, newKeyText, parseKeyStore, revokeKeys } from '../../core/apiKeys';
import { BadInputError } from '../../core/errors';

const random = (n: number) => Buffer.alloc(24, n);

describe('API keys', () => {
  const k1 = newKeyText(random(1));
  const k2 = newKeyText(random(2));
  const k3 = newKeyText(random(3));
  const ana = newKeyRecord({ name: 'ana', role: 'analyst' }, k1, 1000);
  const ana2 = newKeyRecord({ name: 'ana', role: 'analyst' }, k2, 2000);
  const cm = newKeyRecord({ name: 'cm', role: 'campaign_manager', advertiser: 'ra1b2-a0001' }, k3, 3000);

  it('stores only the digest and finds the user of a presented key', () => {
    const store = addKey(addKey(EMPTY_KEY_STORE, ana), cm);
    expect(JSON.stringify(store)).not.toContain(k1);
    expect(store.keys[0]?.sha256).toBe(keyDigest(k1));
    expect(authenticate(store, k1)).toEqual({ name: 'ana', role: 'analyst', key_id: ana.id, scopes: ['read'] });
    expect(authenticate(store, k3)).toEqual({ name: 'cm', role: 'campaign_manager', advertiser_id: 'ra1b2-a0001', key_id: cm.id, scopes: ['read'] });
    expect(authenticate(store, `${k1}x`)).toBeUndefined();
  });

  it('rotates: two keys of one user are valid at once, revoking one by id leaves the other', () => {
    const store = addKey(addKey(EMPTY_KEY_STORE, ana), ana2);
    expect(authenticate(store, k1)?.name).toBe('ana');
    expect(authenticate(store, k2)?.name).toBe('ana');
    const { store: after, revoked } = revokeKeys(store, { name: 'ana', id: ana.id }, 5000);
    expect(revoked).toEqual([ana.id]);
    expect(authenticate(after, k1)).toBeUndefined();
    expect(authenticate(after, k2)?.name).toBe('ana');
    // Revoking all of a user's keys; revoking again is an error naming the field, not a silent success.
    const { store: none } = revokeKeys(after, { name: 'ana' }, 6000);
    expect(authenticate(none, k2)).toBeUndefined();
    expect(() => revokeKeys(none, { name: 'ana' }, 7000)).toThrow(/name: no active key of ana/);
    expect(activeUsers(none)).toEqual([]);
  });

  it('refuses bad names, roles, advertisers and a second role for one user', () => {
    expect(() => newKeyRecord({ name: 'Bad Name', role: 'analyst' }, k1, 0)).toThrow(/name:/);
    expect(() => newKeyRecord({ name: 'x', role: 'root' }, k1, 0)).toThrow(/role: must be one of admin, analyst, finance, product, campaign_manager, collector/);
    expect(() => newKeyRecord({ name: 'x', role: 'campaign_manager' }, k1, 0)).toThrow(/advertiser: a campaign_manager key needs --advertiser/);
    expect(() => newKeyRecord({ name: 'x', role: 'analyst', advertiser: 'a1' }, k1, 0)).toThrow(/advertiser: only a campaign_manager/);
    const finance = newKeyRecord({ name: 'ana', role: 'finance' }, k3, 0);
    expect(() => addKey(addKey(EMPTY_KEY_STORE, ana), finance)).toThrow(BadInputError);
    expect(() => addKey(addKey(EMPTY_KEY_STORE, ana), ana)).toThrow(/already stored/);
  });

  it('gives the collector the digests of active collector and admin keys only', async () => {
    const { collectorKeyDigests } = await import('../../core/apiKeys');
    const app = newKeyRecord({ name: 'app', role: 'collector' }, newKeyText(random(4)), 0);
    const boss = newKeyRecord({ name: 'boss', role: 'admin' }, newKeyText(random(5)), 0);
    const store = addKey(addKey(addKey(EMPTY_KEY_STORE, ana), app), boss);
    expect(collectorKeyDigests(store).sort()).toEqual([app.sha256, boss.sha256].sort());
    expect(collectorKeyDigests(revokeKeys(store, { name: 'app' }, 1).store)).toEqual([boss.sha256]);
  });

  it('derives scopes from the role, takes explicit ones checked against it, and gives the collector only ingest keys', async () => {
    const { ingestKeys, scopesOf } = await import('../../core/apiKeys');
    const roles = ['admin', 'analyst', 'finance', 'product', 'collector'] as const;
    expect(roles.map((role) => scopesOf(newKeyRecord({ name: 'x', role }, k1, 0)))).toEqual([['ingest', 'read', 'admin'], ['read'], ['read'], ['read'], ['ingest']]);
    const sender = newKeyRecord({ name: 'ana', role: 'analyst', scopes: 'read,ingest,read' }, newKeyText(random(6)), 0);
    expect(sender.scopes).toEqual(['ingest', 'read']);
    const readOnlyAdmin = newKeyRecord({ name: 'boss', role: 'admin', scopes: ['read'] }, newKeyText(random(7)), 0);
    const signed = newKeyRecord({ name: 'app', role: 'collector' }, newKeyText(random(8)), 0, 'whsec_0123456789abcdef0123456789abcdef');
    const store = addKey(addKey(addKey(addKey(EMPTY_KEY_STORE, ana), sender), readOnlyAdmin), signed);
    expect(ingestKeys(store)).toEqual([
      { id: sender.id, name: 'ana', sha256: sender.sha256 },
      { id: signed.id, name: 'app', sha256: signed.sha256, signing_secret: 'whsec_0123456789abcdef0123456789abcdef' },
    ]);
    expect(authenticate(store, newKeyText(random(7)))?.scopes).toEqual(['read']);
    expect(parseKeyStore(JSON.stringify(store), 'f')).toEqual(store);
    expect(() => newKeyRecord({ name: 'x', role: 'analyst', scopes: 'admin' }, k1, 0)).toThrow(/^scopes: only an admin key may have the admin scope \(role is analyst\)$/);
    expect(() => newKeyRecord({ name: 'x', role: 'collector', scopes: 'ingest,read' }, k1, 0)).toThrow(/^scopes: a collector key reads nothing/);
    expect(() => newKeyRecord({ name: 'x', role: 'analyst', scopes: 'write' }, k1, 0)).toThrow(/^scopes: each must be one of ingest, read, admin, got "write"$/);
    expect(() => newKeyRecord({ name: 'x', role: 'analyst', scopes: [] }, k1, 0)).toThrow(/^scopes: a comma-separated list/);
    expect(() => newKeyRecord({ name: 'x', role: 'analyst' }, k1, 0, 'whsec_0123456789abcdef0123456789abcdef')).toThrow(/^signed: only a key with the ingest scope/);
  });

  it('reads back what it wrote and names the bad field of a damaged store', () => {
    const store = addKey(addKey(EMPTY_KEY_STORE, ana), cm);
    expect(parseKeyStore(JSON.stringify(store), 'f')).toEqual(store);
    const damaged = JSON.parse(JSON.stringify(store)) as { keys: Array<Record<string, unknown>> };
    (damaged.keys[1] as Record<string, unknown>).role = 'owner';
    expect(() => parseKeyStore(JSON.stringify(damaged), 'f')).toThrow(/f: keys\[1\]\.role: must be one of/);
    expect(() => parseKeyStore('{', 'f')).toThrow(/f: not JSON/);
    expect(activeUsers(store).map((u) => u.name)).toEqual(['ana', 'cm']);
  });
});
