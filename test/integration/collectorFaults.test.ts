/**
 * Backpressure and faults, on the real Kafka: a collector built in this process with small limits
 * (its own port), the real idempotent producer and the real registry. Kafka is really stopped.
 */
/**
 * Backpressure and faults, on the real Kafka: a second collector process (the production entrypoint,
 * dist/workers/collector.js) on its own port with small limits. Kafka is really stopped or frozen.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { layoutOf } from '../../infra/layout';
import { readPid, stopDaemon } from '../../infra/process';
import { repoPath } from '../../infra/repo';
import { stackUp } from '../../infra/stack';
import { unframe } from '../../core/wireFormat';
import { endOffsets, readRange } from '../support/kafka';
import { stackConfig, uniqueName } from '../support/stack';

const base = stackConfig();
let nextPort = 18_900 + Math.floor(Math.random() * 500);

async function startCollector(env: Record<string, string>): Promise<{ url: string; close: () => Promise<void> }> {
  const port = nextPort++;
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(process.execPath, ['--require', repoPath('bin', 'node-warnings.js'), repoPath('dist', 'workers', 'collector.js')], {
    env: { ...process.env, CLICKLAKE_COLLECTOR_PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/healthz`)).status === 200) break;
    } catch {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`test collector did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    close: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function events(prefix: string, n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({ event_id: `${prefix}-${i}`, event_type: 'page_view', event_time: Date.now(), user_id: `u-${i % 7}` }));
}

async function post(url: string, body: object[]): Promise<{ status: number; retryAfter: string | null; body: { accepted?: number; error?: string } }> {
  const res = await fetch(`${url}/v1/events`, {
    method: 'POST',
    headers: { authorization: `Bearer ${base.collector.apiKeys[0]}`, 'content-type': 'application/json' },
    body: JSON.stringify({ events: body }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as { accepted?: number } };
}

describe('collector backpressure', () => {
  it('answers 429 with Retry-After past the per-key rate, and nothing for it reaches Kafka', async () => {
    const collector = await startCollector({ CLICKLAKE_COLLECTOR_RATE_PER_KEY: '20' });
    try {
      const run = uniqueName('rl');
      expect((await post(collector.url, events(`${run}-a`, 30))).status).toBe(200);
      const refused = await post(collector.url, events(`${run}-b`, 30));
      expect([refused.status, refused.body.error, Number(refused.retryAfter) >= 1]).toEqual([429, 'rate_limited', true]);
    } finally {
      await collector.close();
    }
  });
});

async function postUntil200(url: string, batch: object[]): Promise<{ status: number; accepted?: number }> {
  let answer = await post(url, batch);
  for (let i = 0; answer.status !== 200 && i < 90; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    answer = await post(url, batch);
  }
  return { status: answer.status, accepted: answer.body.accepted };
}

describe('collector with Kafka failing', () => {
  const kafka = createKafka(base.kafka, { clientId: 'clicklake-test', quiet: true });
  const kafkaPidFile = layoutOf(base.paths).pidFile('kafka');
  const registry = new SchemaRegistryClient(base.schemaRegistry.url);

  async function eventIdsSince(before: Map<number, bigint>, prefix: string): Promise<Set<string>> {
    const after = await endOffsets(kafka, base.kafka.eventsTopic);
    const ids = new Set<string>();
    for (const m of await readRange(kafka, base.kafka.eventsTopic, before, after)) {
      const framed = unframe(m.value);
      if (!framed.ok) continue;
      const event = (await registry.writerType(framed.schemaId)).fromBuffer(framed.body) as { event_id: string };
      if (event.event_id.startsWith(prefix)) ids.add(event.event_id);
    }
    return ids;
  }

  afterAll(async () => {
    // Whatever happened, leave the stack as it was found.
    const pid = readPid(kafkaPidFile);
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
    await stackUp(base, () => undefined);
  }, 180_000);

  it('answers 503 and never 200 while Kafka is stopped, and loses nothing once it is back', async () => {
    const run = uniqueName('stopped');
    const batches = [events(`${run}-a`, 500), events(`${run}-b`, 500)];
    const before = await endOffsets(kafka, base.kafka.eventsTopic);
    const collector = await startCollector({ CLICKLAKE_COLLECTOR_ACK_TIMEOUT_MS: '1500' });
    try {
      expect(await stopDaemon(kafkaPidFile, 30_000)).toBe(true);
      for (let round = 0; round < 3; round++) {
        for (const batch of batches) {
          const answer = await post(collector.url, batch);
          expect([answer.status, answer.body.error, answer.retryAfter]).toEqual([503, 'unavailable', '5']);
        }
      }
      await stackUp(base, () => undefined);
      // A client retries with the same events until it gets its 200.
      for (const batch of batches) expect(await postUntil200(collector.url, batch)).toEqual({ status: 200, accepted: 500 });
    } finally {
      await collector.close();
    }
    expect((await eventIdsSince(before, run)).size).toBe(1000);
  }, 240_000);

  it('bounds what waits for a hung Kafka: 503 past the ack deadline, then 503 at once past the in-flight budget', async () => {
    const run = uniqueName('frozen');
    const [a, b, c] = [events(`${run}-a`, 500), events(`${run}-b`, 500), events(`${run}-c`, 200)];
    const before = await endOffsets(kafka, base.kafka.eventsTopic);
    const collector = await startCollector({ CLICKLAKE_COLLECTOR_ACK_TIMEOUT_MS: '1500', CLICKLAKE_COLLECTOR_MAX_IN_FLIGHT: '1000' });
    const pid = readPid(kafkaPidFile) as number;
    try {
      process.kill(pid, 'SIGSTOP'); // the broker hangs: connections stay open, nothing is answered
      const answers = [await post(collector.url, a), await post(collector.url, b), await post(collector.url, c)];
      expect(answers.map((x) => [x.status, x.body.error, x.retryAfter])).toEqual([
        [503, 'unavailable', '5'],
        [503, 'unavailable', '5'],
        // The first two produce calls still wait for Kafka and hold the whole budget: refused at once.
        [503, 'overloaded', '1'],
      ]);
      process.kill(pid, 'SIGCONT');
      for (const batch of [a, b, c]) expect((await postUntil200(collector.url, batch)).status).toBe(200);
    } finally {
      process.kill(pid, 'SIGCONT');
      await collector.close();
    }
    // Copies from produce calls that finished after their 503 are duplicates by event_id, which every consumer drops.
    expect((await eventIdsSince(before, run)).size).toBe(1200);
  }, 240_000);
});
