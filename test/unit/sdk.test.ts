/**
 * The client SDK (sdk/) against a real HTTP server on 127.0.0.1 that plays the collector's side of
 * CONTRACT §2: it decodes what the SDK sends (gzip included) and answers what each test scripts.
 * test/integration/sdk.test.ts runs the SDK against the real collector and Kafka.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { BoundedQueue, compressionStreamGzip, createClient, retryDelayMs, type DropReport, type Rejection, type SdkEvent } from '../../sdk';
import { createNodeClient, fileQueueStore } from '../../sdk/node';

interface Seen {
  readonly at: number;
  readonly encoding: string | undefined;
  readonly prefer: string | undefined;
  readonly ids: string[];
}
type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

/** A collector stand-in: records each POST's event ids and answers with `reply` (default 200, all accepted). */
async function counterpart(reply: (n: number, ids: string[]) => Reply = (_n, ids) => ({ status: 200, body: { accepted: ids.length, rejected: [] } }), port = 0) {
  const seen: Seen[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      const body = JSON.parse((encoding === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')) as { events: SdkEvent[] };
      const ids = body.events.map((e) => e.event_id as string);
      seen.push({ at: Date.now(), encoding, prefer: req.headers.prefer as string | undefined, ids });
      const r = reply(seen.length, ids);
      res.writeHead(r.status, { 'content-type': 'application/json', ...r.headers });
      res.end(JSON.stringify(r.body ?? { error: 'overloaded', detail: 'retry later' }));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    port: address.port,
    seen,
    ids: () => seen.flatMap((s) => s.ids),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

const event = (i: number, type = 'page_view'): SdkEvent => ({ event_id: `e${String(i).padStart(4, '0')}`, event_type: type, event_time: 1_764_000_000_000 + i, user_id: 'u1' });
const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100, jitter: 0.5 };

describe('sdk: batching', () => {
  it('sends by count (100 a batch by default) and the rest after the linger, gzip-encoded', async () => {
    const server = await counterpart();
    const client = createNodeClient({ url: server.url, apiKey: 'k' });
    try {
      for (let i = 0; i < 250; i++) client.send(event(i));
      await client.flush();
      expect(server.seen.map((s) => [s.ids.length, s.encoding])).toEqual([
        [100, 'gzip'],
        [100, 'gzip'],
        [50, 'gzip'],
      ]);
      expect(server.ids()).toEqual(Array.from({ length: 250 }, (_, i) => event(i).event_id));
      expect(client.stats()).toMatchObject({ accepted: 250, queued: 0, inFlight: 0, requests: 3, retries: 0 });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('holds a short batch for the linger, then sends it without a flush', async () => {
    const server = await counterpart();
    const client = createClient({ url: server.url, apiKey: 'k', lingerMs: 150 });
    try {
      const started = Date.now();
      client.send(event(1));
      client.send(event(2));
      await new Promise((r) => setTimeout(r, 60));
      expect(server.seen).toHaveLength(0);
      // Polled, not a fixed sleep: on a loaded machine the linger timer and the request can be late.
      for (let waited = 0; server.seen.length === 0 && waited < 10_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
      expect(server.seen.map((s) => s.ids)).toEqual([['e0001', 'e0002']]);
      expect((server.seen[0] as Seen).at - started).toBeGreaterThanOrEqual(140);
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('gives an event without an id one, once: the id returned is the id sent', async () => {
    const server = await counterpart((n, ids) => (n === 1 ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200, body: { accepted: ids.length, rejected: [] } }));
    const client = createClient({ url: server.url, apiKey: 'k', retry: FAST_RETRY });
    try {
      const id = client.send({ event_type: 'heartbeat', event_time: 1, user_id: 'u' });
      await client.flush();
      expect(server.seen.map((s) => s.ids)).toEqual([[id], [id]]);
      expect(id).toMatch(/^[0-9a-f-]{36}$/);
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('sdk: retries', () => {
  it('resends the same event_ids after 503 and 429, waiting at least Retry-After', async () => {
    const statuses = [503, 429, 200];
    const server = await counterpart((n, ids) =>
      statuses[n - 1] === 200 ? { status: 200, body: { accepted: ids.length, rejected: [] } } : { status: statuses[n - 1] as number, headers: { 'retry-after': '1' } },
    );
    const retries: string[] = [];
    const client = createClient({ url: server.url, apiKey: 'k', retry: FAST_RETRY, onRetry: (r) => retries.push(r.cause.slice(0, 22)) });
    try {
      for (let i = 0; i < 5; i++) client.send(event(i));
      await client.flush();
      expect(server.seen.map((s) => s.ids)).toEqual([0, 1, 2].map(() => ['e0000', 'e0001', 'e0002', 'e0003', 'e0004']));
      const gaps = server.seen.slice(1).map((s, i) => s.at - (server.seen[i] as Seen).at);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(1000);
      expect(retries).toEqual(['collector answered 503', 'collector answered 429']);
      expect(client.stats()).toMatchObject({ accepted: 5, retries: 2, requests: 3 });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('keeps the events through a network outage and sends them, once, when the collector is back', async () => {
    const first = await counterpart();
    const port = first.port;
    await first.close(); // nothing listens: connection refused
    const client = createClient({ url: `http://127.0.0.1:${port}`, apiKey: 'k', retry: FAST_RETRY });
    let server: Awaited<ReturnType<typeof counterpart>> | undefined;
    try {
      for (let i = 0; i < 30; i++) client.send(event(i));
      await expect(client.flush({ timeoutMs: 300 })).resolves.toEqual({ pending: 30 });
      expect(client.stats().lastError).toMatch(/^network error: .*ECONNREFUSED/);
      server = await counterpart(undefined, port);
      await expect(client.flush({ timeoutMs: 5000 })).resolves.toEqual({ pending: 0 });
      expect(server.ids()).toEqual(Array.from({ length: 30 }, (_, i) => event(i).event_id));
    } finally {
      await client.close({ timeoutMs: 0 });
      await server?.close();
    }
  });

  it('reports a batch the collector refuses (4xx other than 429) as rejected with its reason, and never resends it', async () => {
    const server = await counterpart(() => ({ status: 400, body: { error: 'bad_request', detail: 'body: not valid JSON' } }));
    const rejected: Rejection[] = [];
    const client = createClient({ url: server.url, apiKey: 'k', retry: FAST_RETRY, onRejected: (r) => rejected.push(...r) });
    try {
      client.send(event(1));
      client.send(event(2));
      await client.flush();
      await new Promise((r) => setTimeout(r, 100));
      expect(server.seen).toHaveLength(1);
      expect(rejected.map((r) => [r.event.event_id, r.errors])).toEqual([
        ['e0001', ['400 bad_request: body: not valid JSON']],
        ['e0002', ['400 bad_request: body: not valid JSON']],
      ]);
      expect(client.stats()).toMatchObject({ rejected: 2, queued: 0, retries: 0 });
    } finally {
      await client.close();
      await server.close();
    }
  });

  it('reports the events a 200 answer rejects with the collector\'s field reasons', async () => {
    const server = await counterpart((_n, ids) => ({ status: 200, body: { accepted: ids.length - 1, rejected: [{ index: 1, event_id: ids[1], errors: ['user_id: required'] }], quarantined: 0 } }));
    const rejected: Rejection[] = [];
    const client = createClient({ url: server.url, apiKey: 'k', onRejected: (r) => rejected.push(...r) });
    try {
      [0, 1, 2].forEach((i) => client.send(event(i)));
      await client.flush();
      expect(rejected.map((r) => [r.event.event_id, r.errors])).toEqual([['e0001', ['user_id: required']]]);
      expect(client.stats()).toMatchObject({ accepted: 2, rejected: 1 });
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('sdk: per-event shedding', () => {
  it('asks for it, and resends exactly the shed events (same ids) after Retry-After, settling the rest', async () => {
    const server = await counterpart((n, ids) =>
      n === 1
        ? { status: 200, body: { accepted: 2, rejected: [], quarantined: 0, shed: [1, 3].map((index) => ({ index, event_id: ids[index], event_type: 'page_view', reason: 'overloaded' })) }, headers: { 'retry-after': '1' } }
        : { status: 200, body: { accepted: ids.length, rejected: [], quarantined: 0, shed: [] } },
    );
    const client = createClient({ url: server.url, apiKey: 'k', retry: FAST_RETRY });
    try {
      [0, 1, 2, 3].forEach((i) => client.send(event(i)));
      await client.flush();
      expect(server.seen.map((s) => [s.prefer, s.ids])).toEqual([
        ['shed=per-event', ['e0000', 'e0001', 'e0002', 'e0003']],
        ['shed=per-event', ['e0001', 'e0003']],
      ]);
      expect((server.seen[1] as Seen).at - (server.seen[0] as Seen).at).toBeGreaterThanOrEqual(1000);
      expect(client.stats()).toMatchObject({ accepted: 4, retries: 1, queued: 0 });
    } finally {
      await client.close();
      await server.close();
    }
  });
});

describe('sdk: bounded queue', () => {
  it('drops the oldest idle events beyond the bound, reports them by type, and delivers the rest', async () => {
    const statuses: number[] = [];
    let down = true;
    const server = await counterpart((_n, ids) => {
      statuses.push(down ? 503 : 200);
      return down ? { status: 503, headers: { 'retry-after': '0' } } : { status: 200, body: { accepted: ids.length, rejected: [] } };
    });
    const drops: DropReport[] = [];
    const client = createClient({ url: server.url, apiKey: 'k', maxBatchEvents: 2, maxQueuedEvents: 5, retry: FAST_RETRY, onDropped: (d) => drops.push(d), lingerMs: 0 });
    try {
      client.send(event(0, 'ad_impression'));
      client.send(event(1, 'ad_impression')); // a batch of two goes out and fails
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 2; i < 9; i++) client.send(event(i, i % 2 === 0 ? 'ad_click' : 'page_view'));
      const total = drops.reduce((n, d) => n + d.dropped, 0);
      expect(total).toBe(4);
      expect(client.stats()).toMatchObject({ queued: 5, dropped: 4 });
      down = false;
      await client.flush({ timeoutMs: 5000 });
      const accepted = server.seen.filter((_, i) => statuses[i] === 200).flatMap((s) => s.ids);
      // Nine sent, four dropped, five delivered exactly once; the stats and the reports agree.
      expect(accepted).toHaveLength(5);
      expect(new Set(accepted).size).toBe(5);
      const byType: Record<string, number> = {};
      for (const d of drops) for (const [t, n] of Object.entries(d.byType)) byType[t] = (byType[t] ?? 0) + n;
      expect(byType).toEqual(client.stats().droppedByType);
      const kept = accepted.map((id) => Number(id.slice(1))).sort((a, b) => a - b);
      // The newest are kept; of the oldest only those that were in flight when the queue filled.
      expect(kept.slice(-3)).toEqual([6, 7, 8]);
    } finally {
      await client.close({ timeoutMs: 0 });
      await server.close();
    }
  });

  it('BoundedQueue: drops the oldest idle event, the new one when all are in flight', () => {
    const q = new BoundedQueue(2);
    const ev = (id: string) => ({ event_id: id, event_type: 'heartbeat' });
    expect(q.add(ev('a')).dropped).toEqual([]);
    q.add(ev('b'));
    expect(q.take(1).map((e) => e.event.event_id)).toEqual(['a']);
    expect(q.add(ev('c')).dropped.map((e) => e.event.event_id)).toEqual(['b']);
    expect(q.take(5).map((e) => e.event.event_id)).toEqual(['c']);
    const full = q.add(ev('d'));
    expect([full.added, full.dropped.map((e) => e.event.event_id)]).toEqual([undefined, ['d']]);
    q.putBack(q.take(0));
    expect([q.size, q.sending, q.idle]).toEqual([2, 2, 0]);
  });
});

describe('sdk: file queue (Node)', () => {
  it('keeps what a closed client could not send in its file, and the next client sends it once', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-queue-'));
    const file = path.join(dir, 'queue.jsonl');
    const probe = await counterpart();
    const port = probe.port;
    await probe.close();
    const first = createNodeClient({ url: `http://127.0.0.1:${port}`, apiKey: 'k', queueFile: file, retry: FAST_RETRY });
    for (let i = 0; i < 40; i++) first.send(event(i));
    await expect(first.close({ timeoutMs: 200 })).resolves.toEqual({ pending: 40 });

    const server = await counterpart(undefined, port);
    const second = createNodeClient({ url: server.url, apiKey: 'k', queueFile: file });
    try {
      second.send(event(40));
      await expect(second.flush({ timeoutMs: 5000 })).resolves.toEqual({ pending: 0 });
      expect(server.ids()).toEqual(Array.from({ length: 41 }, (_, i) => event(i).event_id));
      await second.close();
      expect(await fileQueueStore(file).load()).toEqual([]);
    } finally {
      await server.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('skips a line torn by a crash mid-write and keeps the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sdk-queue-'));
    const file = path.join(dir, 'q.jsonl');
    const e = (seq: number) => ({ seq, event: { event_id: `x${seq}`, event_type: 'heartbeat' } });
    fs.writeFileSync(file, `${JSON.stringify({ add: [e(1), e(2), e(3)] })}\n${JSON.stringify({ remove: [2] })}\n{"add":[{"seq":4,"ev`);
    try {
      expect(await fileQueueStore(file).load()).toEqual([e(1), e(3)]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sdk: pure parts', () => {
  it('backoff doubles to its cap with jitter inside [backoff × (1 − jitter), backoff]; Retry-After is a floor', () => {
    const policy = { baseDelayMs: 200, maxDelayMs: 5000, jitter: 0.5 };
    expect([0, 1, 2, 5, 9].map((a) => retryDelayMs(policy, a, null, 0, () => 0))).toEqual([200, 400, 800, 5000, 5000]);
    expect([0, 1, 2, 5, 9].map((a) => retryDelayMs(policy, a, null, 0, () => 1))).toEqual([100, 200, 400, 2500, 2500]);
    expect(retryDelayMs(policy, 3, '2', 0, () => 0)).toBe(2000);
    expect(retryDelayMs(policy, 3, '2', 0, () => 1)).toBe(2100);
    expect(retryDelayMs(policy, 0, 'Thu, 01 Jan 1970 00:00:05 GMT', 1000, () => 0)).toBe(4000);
    expect(retryDelayMs(policy, 0, '86400', 0, () => 0)).toBe(60_000);
    expect(retryDelayMs(policy, 1, 'soon', 0, () => 0)).toBe(400);
  });

  it('CompressionStream gzip (the browser path) gives bytes zlib reads back', async () => {
    const encode = compressionStreamGzip();
    expect(encode).toBeDefined();
    const json = JSON.stringify({ events: [event(1), { ...event(2), page_url: 'https://x.example/é✓' }] });
    const { body, encoding } = await (encode as NonNullable<typeof encode>)(json);
    expect([encoding, gunzipSync(body as Uint8Array).toString('utf8')]).toEqual(['gzip', json]);
  });
});
