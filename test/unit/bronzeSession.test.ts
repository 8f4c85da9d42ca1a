import type { KafkaMessage } from 'kafkajs';
import type { BronzeManifest } from '../../core/bronze';
import { IngestSession, type IngestSessionDeps } from '../../activities/bronze/session';
import type { StepLog } from '../../activities/bronze/types';
import { watchUnhandledRejections } from '../support/unhandledRejections';

function message(offset: number): KafkaMessage {
  return { offset: String(offset), key: null, value: null, timestamp: '0', attributes: 0, headers: {} } as KafkaMessage;
}

function manifestOf(partition: number, firstOffset: number, lastOffset: number): BronzeManifest {
  return {
    format: 'clicklake.bronze.manifest.v1',
    topic: 't',
    partition,
    firstOffset,
    lastOffset,
    objectKey: `bronze/${partition}/${firstOffset}`,
    rowCount: lastOffset - firstOffset + 1,
    bytes: 100,
    schemaIds: [1],
    hourHistogram: {},
    receivedRange: null,
  } as unknown as BronzeManifest;
}

interface Recorded {
  readonly logs: Array<{ level: string; message: string; fields: Record<string, unknown> | undefined }>;
  readonly commits: Array<[number, number]>;
  readonly writes: Array<[number, number]>;
}

function sessionWith(overrides: Partial<IngestSessionDeps> = {}): { session: IngestSession; recorded: Recorded } {
  const recorded: Recorded = { logs: [], commits: [], writes: [] };
  const entry = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    recorded.logs.push({ level, message, fields });
  };
  const log: StepLog = { info: entry('info'), warn: entry('warn'), error: entry('error') };
  const session = new IngestSession({
    input: { maxRecordsPerObject: 1000, maxAgeMs: 60_000, runForMs: 60_000 },
    existingManifestFrom: async () => undefined,
    writeRange: async (partition, messages) => {
      const first = Number(messages[0]?.offset);
      const last = Number(messages[messages.length - 1]?.offset);
      recorded.writes.push([partition, first]);
      return { manifest: manifestOf(partition, first, last), deadLetters: 0 };
    },
    commitOffset: async (partition, next) => {
      recorded.commits.push([partition, next]);
    },
    heartbeat: () => undefined,
    log,
    now: () => 0,
    ...overrides,
  });
  return { session, recorded };
}

/** Settles every pending promise callback (the session's chain is a few hops long). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
}

describe('Bronze ingest session', () => {
  let unhandled: ReturnType<typeof watchUnhandledRejections>;
  beforeEach(() => {
    unhandled = watchUnhandledRejections();
  });
  afterEach(() => unhandled.stop());

  it('writes a due buffer, commits past it and logs the object without event contents', async () => {
    const { session, recorded } = sessionWith();
    await session.accept(3, [message(10), message(11), message(12)]);
    await session.flushDue(true);
    expect(recorded.commits).toEqual([[3, 13]]);
    expect(session.progress).toEqual({ objects: 1, records: 3, deadLetters: 0, adopted: 0, committed: { '3': 13 } });
    expect(recorded.logs).toEqual([
      { level: 'info', message: 'bronze ingest: object written', fields: { partition: 3, firstOffset: 10, lastOffset: 12, records: 3, bytes: 100, deadLetters: 0 } },
    ]);
  });

  it('a failed S3 write in the flush a rebalance starts fails the run with that error, never an unhandled rejection', async () => {
    const s3Down = new Error('S3 PutObject: connect ECONNREFUSED');
    const { session, recorded } = sessionWith({
      writeRange: async () => {
        throw s3Down;
      },
    });
    await session.accept(0, [message(0), message(1)]);
    session.onRebalance();
    await settle();
    expect(unhandled.seen).toEqual([]);
    expect(session.failed).toEqual({ error: s3Down });
    expect(() => session.throwIfFailed()).toThrow(s3Down);
    expect(recorded.commits).toEqual([]);
    expect(recorded.logs.filter((l) => l.level === 'error')).toEqual([
      { level: 'error', message: 'bronze ingest: a step failed; the activity fails with its error', fields: { error: s3Down.message, errorName: 'Error' } },
    ]);
  });

  it('after a failed flush no later step runs: nothing can be written past the lost range', async () => {
    let calls = 0;
    const { session, recorded } = sessionWith({
      writeRange: async (partition, messages) => {
        calls++;
        if (calls === 1) throw new Error('S3 down');
        return { manifest: manifestOf(partition, Number(messages[0]?.offset), Number(messages[messages.length - 1]?.offset)), deadLetters: 0 };
      },
    });
    await session.accept(0, [message(0), message(1)]);
    await expect(session.flushDue(true)).rejects.toThrow('S3 down');
    await expect(session.accept(0, [message(2)])).rejects.toThrow('S3 down');
    await expect(session.flushDue(true)).rejects.toThrow('S3 down');
    expect(calls).toBe(1);
    expect(recorded.commits).toEqual([]);
    expect(unhandled.seen).toEqual([]);
  });

  it('adopts a range an earlier attempt wrote, commits past it and writes only the rest', async () => {
    const { session, recorded } = sessionWith({
      existingManifestFrom: async (partition, first) => (first === 5 ? manifestOf(partition, 5, 6) : undefined),
    });
    await session.accept(1, [message(5), message(6), message(7)]);
    await session.flushDue(true);
    expect(recorded.commits).toEqual([
      [1, 7],
      [1, 8],
    ]);
    expect(recorded.writes).toEqual([[1, 7]]);
    expect(session.progress.adopted).toBe(1);
    expect(recorded.logs[0]).toEqual({ level: 'info', message: 'bronze ingest: adopted a range written earlier', fields: { partition: 1, firstOffset: 5, lastOffset: 6, records: 2 } });
  });

  it('a commit refused during a rebalance is logged and tolerated; outside one it fails the run', async () => {
    const refused = new Error('The coordinator is not aware of this member');
    const during = sessionWith({
      commitOffset: async () => {
        throw refused;
      },
    });
    await during.session.accept(2, [message(0)]);
    during.session.onRebalance();
    await settle();
    expect(during.session.failed).toBeUndefined();
    expect(during.recorded.logs.filter((l) => l.level === 'warn')).toEqual([
      { level: 'warn', message: 'bronze ingest: offset commit failed during a rebalance; the next owner adopts the range', fields: { partition: 2, nextOffset: 1, error: refused.message } },
    ]);

    const outside = sessionWith({
      commitOffset: async () => {
        throw refused;
      },
    });
    await outside.session.accept(2, [message(0)]);
    await expect(outside.session.flushDue(true)).rejects.toThrow(refused);
    expect(outside.session.failed).toEqual({ error: refused });
  });

  it('keeps each offset once when a batch overlaps what is buffered or committed', async () => {
    const { session, recorded } = sessionWith();
    await session.accept(0, [message(0), message(1)]);
    await session.flushDue(true);
    await session.accept(0, [message(1), message(2), message(3)]);
    await session.accept(0, [message(3), message(4)]);
    await session.flushDue(true);
    expect(recorded.writes).toEqual([
      [0, 0],
      [0, 2],
    ]);
    expect(session.progress.records).toBe(5);
  });
});
