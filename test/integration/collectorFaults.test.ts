/**
 * Backpressure and faults, on the real Kafka: a second collector process (the production entrypoint,
 * dist/workers/collector.js) on its own port with small limits. Kafka is really stopped or frozen.
 * Every test reads the events topic afterwards and compares the event_ids there with what was sent.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createKafka } from '../../activities/clients';
import { SchemaRegistryClient } from '../../activities/schemaRegistry';
import { layoutOf } from '../../infra/layout';
import { readPid, stopDaemon } from '../../infra/process';
import { repoPath } from '../../infra/repo';
import { stackUp } from '../../infra/stack';
import { endOffsets, eventIdCopies } from '../support/kafka';
import { stackConfig, uniqueName } from '../support/stack';

const base = stackConfig();
const kafka = createKafka(base.kafka, { clientId: 'clicklake-test', quiet: true });
const registry = new SchemaRegistryClient(base.schemaRegistry.url);
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

function events(prefix: string, n: number): Array<{ event_id: string }> {
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
    const run = uniqueName('rl');
    const [a, b] = [events(`${run}-a`, 30), events(`${run}-b`, 30)];
    const before = await endOffsets(kafka, base.kafka.eventsTopic);
    let accepted: typeof a = [];
    try {
      // Both at once: the bucket (burst 40 events) admits one batch of 30, whichever arrives first, and
      // refuses the other whatever the time the first takes to be acknowledged.
      const answers = await Promise.all([post(collector.url, a), post(collector.url, b)]);
      const outcomes = answers.map((x) => [x.status, x.body.error ?? x.body.accepted, Number(x.retryAfter) >= 1]);
      expect([...outcomes].sort()).toEqual([
        [200, 30, false],
        [429, 'rate_limited', true],
      ]);
      accepted = answers[0]?.status === 200 ? a : b;
    } finally {
      await collector.close();
    }
    // Exactly the accepted batch, each event once; not one event of the refused batch.
    expect(await eventIdCopies(kafka, registry, base.kafka.eventsTopic, before, run)).toEqual(new Map(accepted.map((e) => [e.event_id, 1])));
  }, 60_000);
});

/** Posts the batch until it gets a 200 (at most 91 times, a second apart), as a client retries. */
async function postUntil200(url: string, batch: object[]): Promise<{ status: number; accepted?: number; posts: number }> {
  let answer = await post(url, batch);
  let posts = 1;
  for (; answer.status !== 200 && posts <= 90; posts++) {
    await new Promise((r) => setTimeout(r, 1000));
    answer = await post(url, batch);
  }
  return { status: answer.status, accepted: answer.body.accepted, posts };
}

/**
 * Every sent event_id is on the topic, nothing else of the run is, and no event has more copies than
 * the times it was posted: a produce call that outlived its 503 may still land once Kafka answers,
 * which is a duplicate by event_id that every consumer drops, never a loss.
 */
function expectEachAtLeastOnce(copies: Map<string, number>, sent: ReadonlyArray<{ batch: ReadonlyArray<{ event_id: string }>; posts: number }>): void {
  const expected = sent.flatMap(({ batch, posts }) => batch.map((e) => [e.event_id, posts] as const));
  expect([...copies.keys()].sort()).toEqual(expected.map(([id]) => id).sort());
  expect(expected.filter(([id, posts]) => !((copies.get(id) ?? 0) >= 1 && (copies.get(id) ?? 0) <= posts))).toEqual([]);
}

describe('collector with Kafka failing', () => {
  const kafkaPidFile = layoutOf(base.paths).pidFile('kafka');

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
    const posts: number[] = [];
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
      for (const batch of batches) {
        const answer = await postUntil200(collector.url, batch);
        expect([answer.status, answer.accepted]).toEqual([200, 500]);
        posts.push(3 + answer.posts);
      }
    } finally {
      await collector.close();
    }
    expectEachAtLeastOnce(await eventIdCopies(kafka, registry, base.kafka.eventsTopic, before, run), batches.map((batch, i) => ({ batch, posts: posts[i] ?? 0 })));
  }, 240_000);

  it('bounds what waits for a hung Kafka: 503 past the ack deadline, then 503 at once past the in-flight budget', async () => {
    const run = uniqueName('frozen');
    const [a, b, c] = [events(`${run}-a`, 500), events(`${run}-b`, 500), events(`${run}-c`, 200)];
    const before = await endOffsets(kafka, base.kafka.eventsTopic);
    const collector = await startCollector({ CLICKLAKE_COLLECTOR_ACK_TIMEOUT_MS: '1500', CLICKLAKE_COLLECTOR_MAX_IN_FLIGHT: '1000' });
    const pid = readPid(kafkaPidFile) as number;
    const posts: number[] = [];
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
      for (const batch of [a, b, c]) {
        const answer = await postUntil200(collector.url, batch);
        expect(answer.status).toBe(200);
        posts.push(1 + answer.posts);
      }
    } finally {
      process.kill(pid, 'SIGCONT');
      await collector.close();
    }
    expectEachAtLeastOnce(await eventIdCopies(kafka, registry, base.kafka.eventsTopic, before, run), [a, b, c].map((batch, i) => ({ batch, posts: posts[i] ?? 0 })));
  }, 240_000);
});
