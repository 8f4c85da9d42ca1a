/**
 * The collector's admission on the real stack (docs/ingestion.md "Admission"): keys by scope and
 * their rotation, the per-key rate shared by two collector processes through the real Redis (and
 * each one's share when Redis cannot be reached), signed batches, and priority shedding while the
 * real Kafka is frozen. Collectors are the production entrypoint (dist/workers/collector.js) on
 * ports of their own; keys are created in the stack's key store under names of this run and revoked
 * at the end.
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { createKey, revokeKey } from '../../infra/keyStore';
import { layoutOf } from '../../infra/layout';
import { readPid } from '../../infra/process';
import { repoPath } from '../../infra/repo';
import { endOffsets, eventIdCopies } from '../support/kafka';
import { stackConfig, uniqueName } from '../support/stack';

const base = stackConfig();
const kafka = createKafka(base.kafka, { clientId: 'clicklake-test', quiet: true });
const registry = new SchemaRegistryClient(base.schemaRegistry.url);
let nextPort = 19_400 + Math.floor(Math.random() * 500);
const run = uniqueName('adm').replace(/[^a-z0-9-]/g, '');
const created: string[] = [];
const stops: Array<() => Promise<void>> = [];
/** The collector's entrypoint; another build's (a deliberately broken copy) to check these tests fail. */
const ENTRY = process.env.CLICKLAKE_TEST_COLLECTOR_ENTRY ?? repoPath('dist', 'workers', 'collector.js');

function key(suffix: string, input: { role: string; scopes?: string; signed?: boolean }): { apiKey: string; secret?: string; id: string; name: string } {
  const name = `t-${run}-${suffix}`.slice(0, 63);
  const { record, apiKey, signingSecret } = createKey(base, { name, ...input }, Date.now());
  created.push(name);
  return { apiKey, id: record.id, name, ...(signingSecret === undefined ? {} : { secret: signingSecret }) };
}

async function collector(env: Record<string, string>): Promise<string> {
  const port = nextPort++;
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ['--require', repoPath('bin', 'node-warnings.js'), ENTRY], {
    env: { ...process.env, CLICKLAKE_COLLECTOR_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  stops.push(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  });
  const deadline = Date.now() + 30_000;
  while (!(await fetch(`${url}/healthz`).then((r) => r.status === 200, () => false))) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`test collector did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return url;
}

interface Answer {
  status: number;
  body: { accepted?: number; error?: string; detail?: string; shed?: Array<{ index: number; event_id: string; event_type: string; reason: string }> };
  headers: Headers;
}

async function post(url: string, apiKey: string, events: object[], headers: Record<string, string> = {}, body = JSON.stringify({ events })): Promise<Answer> {
  const res = await fetch(`${url}/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, body: (await res.json()) as Answer['body'], headers: res.headers };
}

function event(id: string, type = 'page_view'): Record<string, unknown> {
  const e: Record<string, unknown> = { event_id: id, event_type: type, event_time: Date.now(), user_id: `u-${id.length % 5}` };
  if (type.startsWith('ad_')) Object.assign(e, { campaign_id: 'c-adm', ad_id: 'a-adm' });
  if (type.startsWith('video_')) e.title_id = 't-adm';
  return e;
}

/** A metric's value from a collector's /metrics (0 when absent). */
async function metric(url: string, line: RegExp): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = text.split('\n').find((l) => line.test(l));
  return m === undefined ? 0 : Number(m.split(' ').pop());
}

afterAll(async () => {
  await Promise.all(stops.map((s) => s()));
  for (const name of created) {
    try {
      revokeKey(base, { name }, Date.now());
    } catch {
      // already revoked by the test
    }
  }
}, 60_000);

describe('collector keys', () => {
  it('accepts only keys with the ingest scope, two keys of one sender at once, and stops accepting a revoked one without a restart', async () => {
    const url = await collector({});
    const first = key('rot', { role: 'collector' });
    const second = key('rot', { role: 'collector' });
    const reader = key('reader', { role: 'product' });
    const sendingProduct = key('sender', { role: 'product', scopes: 'ingest' });
    const one = (s: string) => [event(`${run}-${s}`)];
    expect((await post(url, first.apiKey, one('k1'))).status).toBe(200);
    expect((await post(url, second.apiKey, one('k2'))).status).toBe(200);
    expect((await post(url, sendingProduct.apiKey, one('k3'))).status).toBe(200);
    expect(await post(url, reader.apiKey, one('k4'))).toMatchObject({ status: 401, body: { error: 'unauthorized', detail: 'authorization: unknown API key, or one without the ingest scope' } });

    revokeKey(base, { name: first.name, id: first.id }, Date.now());
    // The collector re-reads the store within half a second (and at once for an unknown key).
    const deadline = Date.now() + 5000;
    let status = 200;
    while (status === 200 && Date.now() < deadline) status = (await post(url, first.apiKey, one('k5'))).status;
    expect(status).toBe(401);
    expect((await post(url, second.apiKey, one('k6'))).status).toBe(200);
  }, 60_000);
});

describe('shared per-key rate limit', () => {
  it('two collector processes admit one key at the shared limit, not twice it', async () => {
    // 1 event/s, bursts of 2: alone, each process would admit 2 at once.
    const env = { CLICKLAKE_COLLECTOR_RATE_PER_KEY: '1', CLICKLAKE_COLLECTOR_INSTANCES: '2' };
    const [a, b] = [await collector(env), await collector(env)];
    const sender = key('rate', { role: 'collector' });
    const started = Date.now();
    let accepted = 0;
    let first429: Answer | undefined;
    for (let i = 0; i < 8 && first429 === undefined; i++) {
      const answer = await post(i % 2 === 0 ? a : b, sender.apiKey, [event(`${run}-r${i}`)]);
      if (answer.status === 200) accepted++;
      else first429 = answer;
    }
    const elapsedSec = (Date.now() - started) / 1000;
    expect(first429).toMatchObject({ status: 429, body: { error: 'rate_limited' } });
    expect(Number(first429?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // The shared bucket: the burst (2) plus what refilled meanwhile, never the two processes' 4.
    expect(accepted).toBeGreaterThanOrEqual(2);
    expect(accepted).toBeLessThanOrEqual(Math.min(3, 2 + Math.floor(elapsedSec * 1)));
    expect((await metric(a, /^collector_admission_fallback_total /)) + (await metric(b, /^collector_admission_fallback_total /))).toBe(0);
  }, 60_000);

  it('without Redis a process applies its share (limit / instances): no 5xx, not unlimited, counted', async () => {
    // Nothing listens on port 1: every shared check fails at once and falls back.
    const url = await collector({ CLICKLAKE_COLLECTOR_RATE_PER_KEY: '4', CLICKLAKE_COLLECTOR_INSTANCES: '2', CLICKLAKE_REDIS_PORT: '1' });
    const sender = key('fallback', { role: 'collector' });
    const answers: number[] = [];
    for (let i = 0; i < 8; i++) answers.push((await post(url, sender.apiKey, [event(`${run}-f${i}`)])).status);
    // The share: 2 events/s, bursts of 4; 8 quick requests see the burst and some refill at most.
    const admitted = answers.filter((s) => s === 200).length;
    expect(answers.every((s) => s === 200 || s === 429)).toBe(true);
    expect(admitted).toBeGreaterThanOrEqual(4);
    expect(admitted).toBeLessThan(8);
    expect(await metric(url, /^collector_admission_fallback_total /)).toBe(8);
  }, 60_000);
});

describe('signed batches', () => {
  it('requires a fresh, matching Clicklake-Signature from a signed key, and refuses a replay', async () => {
    const url = await collector({ CLICKLAKE_COLLECTOR_SIGNATURE_WINDOW_SEC: '60' });
    const signer = key('signed', { role: 'collector', signed: true });
    const secret = signer.secret as string;
    const body = JSON.stringify({ events: [event(`${run}-s1`)] });
    const now = Math.floor(Date.now() / 1000);
    const sign = (t: number, b = body, s = secret) => `t=${t},v1=${createHmac('sha256', s).update(`${t}.${b}`).digest('hex')}`;
    const send = (signature: string | undefined, b = body) => post(url, signer.apiKey, [], signature === undefined ? {} : { 'clicklake-signature': signature }, b);

    expect(await send(undefined)).toMatchObject({ status: 401, body: { error: 'bad_signature', detail: expect.stringMatching(/^Clicklake-Signature: missing/) } });
    expect(await send(sign(now - 61))).toMatchObject({ status: 401, body: { detail: expect.stringMatching(/^Clicklake-Signature: t=\d+ is more than 60 s/) } });
    expect(await send(sign(now, body, `${secret}x`))).toMatchObject({ status: 401, body: { detail: expect.stringMatching(/^Clicklake-Signature: v1 does not match/) } });
    expect(await send(sign(now), JSON.stringify({ events: [event(`${run}-s2`)] }))).toMatchObject({ status: 401 });
    expect(await send(sign(now))).toMatchObject({ status: 200, body: { accepted: 1 } });
    expect(await send(sign(now))).toMatchObject({ status: 401, body: { detail: expect.stringMatching(/already used/) } });
    expect(await send(sign(now + 1))).toMatchObject({ status: 200 });
  }, 60_000);
});

describe('priority shedding', () => {
  it('sheds heartbeats first while ad events get in, says which per event, and counts them by type', async () => {
    const url = await collector({ CLICKLAKE_COLLECTOR_MAX_IN_FLIGHT: '1000', CLICKLAKE_COLLECTOR_ACK_TIMEOUT_MS: '20000' });
    const sender = key('shed', { role: 'collector' });
    const kafkaPid = readPid(layoutOf(base.paths).pidFile('kafka')) as number;
    const before = await endOffsets(kafka, base.kafka.eventsTopic);
    const hold = Array.from({ length: 600 }, (_, i) => event(`${run}-h${i}`));
    const mixed = [event(`${run}-m0`, 'heartbeat'), event(`${run}-m1`, 'ad_impression'), event(`${run}-m2`, 'page_view'), event(`${run}-m3`, 'heartbeat'), event(`${run}-m4`, 'ad_click')];
    const beatsOnly = [event(`${run}-b0`, 'heartbeat'), event(`${run}-b1`, 'heartbeat')];
    const prefer = { prefer: 'shed=per-event' };
    let answers: Answer[];
    try {
      process.kill(kafkaPid, 'SIGSTOP'); // nothing is acknowledged: the 600 stay in flight (60% of the budget)
      const holding = post(url, sender.apiKey, hold);
      await new Promise((r) => setTimeout(r, 300));
      const mixing = post(url, sender.apiKey, mixed, prefer);
      const beats = await post(url, sender.apiKey, beatsOnly); // a client that did not ask for per-event answers
      await new Promise((r) => setTimeout(r, 300));
      process.kill(kafkaPid, 'SIGCONT');
      answers = [await holding, await mixing, beats];
    } finally {
      process.kill(kafkaPid, 'SIGCONT');
    }
    expect(answers.map((a) => a.status)).toEqual([200, 200, 503]);
    expect(answers[1]?.body).toEqual({
      accepted: 3,
      rejected: [],
      quarantined: 0,
      shed: [
        { index: 0, event_id: `${run}-m0`, event_type: 'heartbeat', reason: 'overloaded' },
        { index: 3, event_id: `${run}-m3`, event_type: 'heartbeat', reason: 'overloaded' },
      ],
    });
    expect([answers[1]?.headers.get('preference-applied'), answers[1]?.headers.get('retry-after')]).toEqual(['shed=per-event', '1']);
    expect(answers[2]?.body.error).toBe('overloaded');
    expect(await metric(url, /^collector_shed_events_total\{event_type="heartbeat",reason="shed"\}/)).toBe(2);
    expect(await metric(url, /^collector_shed_events_total\{event_type="heartbeat",reason="overloaded"\}/)).toBe(2);

    // The client resends exactly the shed ones, same event_ids: now admitted.
    const resent = await post(url, sender.apiKey, [mixed[0] as object, mixed[3] as object], prefer);
    expect([resent.status, resent.body.accepted, resent.body.shed]).toEqual([200, 2, []]);
    const copies = await eventIdCopies(kafka, registry, base.kafka.eventsTopic, before, `${run}-m`);
    expect(new Map([...copies].sort())).toEqual(new Map(mixed.map((e) => [e.event_id as string, 1])));
  }, 120_000);
});
