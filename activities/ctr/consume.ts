/**
 * The CTR consumer's run: builds the clients and the run state, reads the stored offsets before
 * joining, consumes (activities/ctr/batch.ts per batch), and ends at the deadline, on abort, or
 * with the error of a crash. Nothing runs in the background without a handler: a crash settles the
 * `crashed` promise the run awaits, the offset read on assignment logs its own failure, and every
 * client is disconnected with its failure logged.
 */
import { Partitioners, type Kafka } from 'kafkajs';
import { ctrSettings } from '../../core/ctr';
import { errorMessage } from '../../core/errors';
import { handleBatch } from './batch';
import { CtrDecoder } from './decode';
import { onAssigned, readStored, refreshFloors } from './offsets';
import { newProgress, type CtrRun } from './run';
import { DEFAULT_TUNING, type CtrConsumeControl, type CtrConsumerTuning, type CtrDeps, type CtrLog, type CtrProgress } from './types';

function createRun(deps: CtrDeps, tuning: CtrConsumerTuning, log: CtrLog): CtrRun {
  const settings = ctrSettings(deps.config);
  const kafka: Kafka = deps.kafka;
  return {
    settings,
    redis: deps.redis,
    consumer: kafka.consumer({
      groupId: settings.group,
      sessionTimeout: tuning.sessionTimeoutMs,
      heartbeatInterval: Math.max(500, Math.floor(tuning.sessionTimeoutMs / 10)),
      maxWaitTimeInMs: tuning.maxWaitTimeInMs,
      maxBytesPerPartition: tuning.maxBytesPerPartition,
      // A crash ends the run with an error instead of restarting inside it: Temporal retries with backoff.
      retry: { retries: 5, initialRetryTime: 300, restartOnFailure: async () => false },
    }),
    // Not idempotent: dead letters are at-least-once anyway, and a bounded retry keeps a Kafka outage
    // a failed batch (retried by kafkajs, then by Temporal) rather than a hang.
    producer: kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner }),
    admin: kafka.admin(),
    decoder: new CtrDecoder(deps.registry, deps.config.schemaRegistry.url),
    progress: newProgress(),
    log,
    floors: new Map(),
    applied: new Map(),
  };
}

/**
 * A promise that rejects when kafkajs gives up on the consumer (a crash it will not restart). The run
 * races it against its stop; a crash after the run ended has nobody to fail, so it is logged only.
 */
function crashSignal(run: CtrRun): Promise<never> {
  const crashed = new Promise<never>((_, reject) => {
    run.consumer.on(run.consumer.events.CRASH, (event) => {
      if (event.payload.restart) return;
      run.log('ctr consumer: crashed', { error: errorMessage(event.payload.error) });
      reject(event.payload.error);
    });
  });
  // The run awaits this through Promise.race; a crash after the run ended is logged above and needs no other handler.
  crashed.catch(() => undefined);
  return crashed;
}

/** Resolves at abort or after `runForMs`; `clear` drops its timer. */
function stopSignal(control: CtrConsumeControl): { stopped: Promise<void>; clear: () => void } {
  let timer: NodeJS.Timeout | undefined;
  const stopped = new Promise<void>((resolve) => {
    if (control.signal.aborted) resolve();
    control.signal.addEventListener('abort', () => resolve(), { once: true });
    if (control.runForMs !== undefined) timer = setTimeout(resolve, control.runForMs);
  });
  return { stopped, clear: () => clearTimeout(timer) };
}

async function startConsuming(run: CtrRun, tuning: CtrConsumerTuning, report: () => void): Promise<void> {
  const { admin, producer, consumer, settings } = run;
  await admin.connect();
  await refreshFloors(run);
  await readStored(run, [...run.floors.keys()]);
  await producer.connect();
  await consumer.connect();
  await consumer.subscribe({ topic: settings.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: tuning.partitionsConsumedConcurrently,
    eachBatch: async ({ batch, heartbeat, isRunning, isStale }) => {
      if (!isRunning() || isStale() || batch.messages.length === 0) return;
      await handleBatch(run, batch.partition, batch.messages);
      report();
      await heartbeat();
    },
  });
}

async function disconnectAll(run: CtrRun): Promise<void> {
  for (const [name, client] of [
    ['consumer', run.consumer],
    ['producer', run.producer],
    ['admin', run.admin],
  ] as const) {
    try {
      await client.disconnect();
    } catch (err) {
      run.log('ctr consumer: disconnect failed', { client: name, error: errorMessage(err) });
    }
  }
}

/**
 * Consumes until the signal aborts or `runForMs` passes, then leaves the group and disconnects.
 * Rejects when the consumer crashes (kafkajs gave up retrying a batch, Kafka unreachable): the caller
 * (Temporal) starts it again, and the stored offsets make the restart exact.
 */
export async function consumeCtr(deps: CtrDeps, control: CtrConsumeControl): Promise<CtrProgress> {
  const tuning = { ...DEFAULT_TUNING, ...control.tuning };
  const run = createRun(deps, tuning, control.log ?? (() => undefined));
  const started = Date.now();
  run.log('ctr consumer: start', { topic: run.settings.topic, group: run.settings.group, runForMs: control.runForMs ?? null, ...tuning });
  const crashed = crashSignal(run);
  run.consumer.on(run.consumer.events.GROUP_JOIN, (event) => onAssigned(run, event.payload.memberAssignment[run.settings.topic] ?? []));
  const report = (): void => control.onProgress?.(run.progress);
  const timer = setInterval(report, 2000);
  const stop = stopSignal(control);
  try {
    await startConsuming(run, tuning, report);
    await Promise.race([stop.stopped, crashed]);
  } finally {
    clearInterval(timer);
    stop.clear();
    await disconnectAll(run);
    const { records, counted, duplicates, expired, deadLetters, batches } = run.progress;
    run.log('ctr consumer: stop', { records, counted, duplicates, expired, deadLetters, batches, ms: Date.now() - started });
  }
  report();
  return run.progress;
}
