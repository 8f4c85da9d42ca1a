/**
 * `clicklake worker` (issue #14, scale-out) is a worker of the same fleet: started beside the stack's
 * worker it polls the same task queues; with the stack's worker stopped, a promotion of fresh traffic
 * runs on it alone (its identity on every activity of the workflow's history) and Gold counts the
 * traffic; SIGTERM stops it cleanly with its JSON document. The stack's worker comes back afterwards
 * whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { connectTemporal } from '../../activities/clients';
import { hourKey } from '../../core/time';
import { layoutOf } from '../../infra/layout';
import { runningPid, stopDaemon } from '../../infra/process';
import { stackUp } from '../../infra/stack';
import { generate, writeTruth } from '../../workers/generate';
import { findQuietWindow, newIdScope, runPromoteHour } from '../../workers/lakeCommands';
import { promoteHourWorkflowId } from '../../workflows/promoteHour';
import { stackConfig, uniqueName } from '../support/stack';

const config = stackConfig();
const CLI = path.join(__dirname, '..', '..', 'bin', 'clicklake.js');
/** temporal.api.enums.v1.TaskQueueType: WORKFLOW, ACTIVITY. */
const QUEUE_TYPES = [1, 2] as const;

interface Exited {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

function startWorker(args: readonly string[]): { child: ChildProcess; exited: Promise<Exited>; stderr: () => string } {
  const child = spawn(process.execPath, [CLI, 'worker', ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Exited>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, exited, stderr: () => stderr };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('clicklake worker', () => {
  let extra: ReturnType<typeof startWorker> | undefined;

  afterAll(async () => {
    if (extra && extra.child.exitCode === null && extra.child.signalCode === null) extra.child.kill('SIGKILL');
    await stackUp(config, () => undefined); // the stack's worker is back whatever happened
  }, 70_000);

  it('polls the stack worker queues, runs a promotion alone while the stack worker is down, and stops on SIGTERM with its JSON', async () => {
    const identity = uniqueName('test-worker');
    const queues = [config.temporal.taskQueue, config.backfill.taskQueue];
    extra = startWorker(['--identity', identity, '--grace-seconds', '5']);
    const connection = await connectTemporal(config.temporal);
    try {
      // Temporal itself says the process polls every queue of the stack's worker, for workflow and activity tasks.
      const polled = async (): Promise<boolean> => {
        for (const name of queues) {
          for (const taskQueueType of QUEUE_TYPES) {
            const res = await connection.workflowService.describeTaskQueue({ namespace: config.temporal.namespace, taskQueue: { name }, taskQueueType });
            if (!(res.pollers ?? []).some((p) => p.identity === identity)) return false;
          }
        }
        return true;
      };
      const pollDeadline = Date.now() + 45_000;
      while (!(await polled())) {
        if (Date.now() > pollDeadline || extra.child.exitCode !== null) throw new Error(`clicklake worker never polled ${queues.join(', ')}; stderr: ${extra.stderr().slice(-2000)}`);
        await sleep(500);
      }

      // The stack's worker stops the way `stack down` stops it; from here on only the extra worker polls.
      const pidFile = layoutOf(config.paths).pidFile('worker');
      await stopDaemon(pidFile, 30_000);

      const now = Date.now();
      const quiet = await findQuietWindow(config, now);
      const result = await generate(
        config.collector,
        {
          ratePerSec: 2000,
          durationSec: 3,
          batchSize: 500,
          concurrency: 4,
          gzip: true,
          eventTimeShiftMs: quiet.targetMs - now,
          traffic: { idScope: newIdScope(), seed: Math.floor(Math.random() * 2 ** 31), campaigns: 10, users: 400, titles: 10, lateFraction: 0, duplicateFraction: 0.05 },
        },
        undefined,
      );
      const truth = writeTruth(path.join(os.tmpdir(), `${identity}-truth.json`), result);
      const hours = [...new Set(result.accepted.map((e) => hourKey(e.event_time)))].sort();
      expect(hours.length).toBeGreaterThan(0);

      let counted = 0;
      const client = new Client({ connection, namespace: config.temporal.namespace });
      for (const hour of hours) {
        const promoted = await runPromoteHour(config, hour);
        counted += promoted.silver.rows_out;
        // Every activity of the promotion started and completed on the extra worker.
        const history = await client.workflow.getHandle(promoteHourWorkflowId(hour)).fetchHistory();
        const started = (history.events ?? []).flatMap((e) => (e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.identity] : []));
        const completed = (history.events ?? []).flatMap((e) => (e.activityTaskCompletedEventAttributes ? [e.activityTaskCompletedEventAttributes.identity] : []));
        expect(started.length).toBeGreaterThan(0);
        expect([...new Set([...started, ...completed])]).toEqual([identity]);
      }
      if (quiet.wholeDay) expect(counted).toBe(truth.stats.counted);
      else expect(counted).toBeGreaterThanOrEqual(truth.stats.counted);
      // Nobody brought the stack's worker back meanwhile: the extra worker did the work alone.
      expect(runningPid(pidFile)).toBeUndefined();
    } finally {
      await connection.close();
    }

    extra.child.kill('SIGTERM');
    const exited = await Promise.race([extra.exited, sleep(40_000).then(() => undefined)]);
    expect(exited).toBeDefined();
    const { code, stdout, stderr } = exited as Exited;
    if (code !== 0) throw new Error(`clicklake worker exited ${code}; stderr: ${stderr.slice(-3000)}`);
    const doc = JSON.parse(stdout) as Record<string, unknown>;
    expect(doc).toMatchObject({ task_queues: queues, namespace: config.temporal.namespace, identity, signal: 'SIGTERM' });
    expect(doc.ran_seconds).toBeGreaterThan(0);
    expect((doc.activities as { completed: number }).completed).toBeGreaterThan(0);
    fs.rmSync(path.join(os.tmpdir(), `${identity}-truth.json`), { force: true });
  }, 170_000);
});
