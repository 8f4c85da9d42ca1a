/**
 * eraseUser on the real dev server, the lake replaced by stand-ins (lakeStandIns.ts for the
 * promotions; an in-memory erasure lake below); workflowOutcome is the real lookup through the
 * server. The workflow's own logic is under test: the request recorded before anything else, every
 * Bronze hour rewritten, every published hour restated as promote-hour-<hour> with reason erasure,
 * a promotion already under way waited for and then run again (the race), old versions purged after
 * the days closed, verification repeated while it finds something and FAILED after MAX_ROUNDS.
 */
import { WorkflowFailedError } from '@temporalio/client';
import { createBackfillActivities } from '../../activities/backfill';
import type { ErasureActivities } from '../../activities/erasure';
import type { ErasureEntry, ErasureLookup, ErasureRow } from '../../core/erasure';
import { eraseUser, MAX_ROUNDS } from '../../workflows/eraseUser';
import { promoteHour, promoteHourWorkflowId } from '../../workflows/promoteHour';
import { freshDays, uniqueTaskQueue, workflowTestServer } from '../support/temporalTest';
import { holdFirstCall, standInLake, type LakeHooks } from './lakeStandIns';

jest.setTimeout(120_000);

const server = workflowTestServer();
const nextDay = freshDays();

interface ErasureCalls {
  readonly steps: string[];
  readonly records: ErasureRow[];
  readonly purged: Array<{ hours: string[]; days: string[] }>;
}

/** The erasure activities over a lookup fixed by the test; `findings(round)` is what verification reports. */
function erasureLake(lookup: ErasureLookup, findings: (round: number) => string[] = () => [], hooks: LakeHooks = {}) {
  const lake = standInLake(hooks);
  const calls: ErasureCalls = { steps: [], records: [], purged: [] };
  let verifications = 0;
  const erasure: ErasureActivities = {
    async recordErasure(input) {
      const row = input.stamp === undefined ? input.row : { ...input.row, [input.stamp]: 1_000 + calls.records.length };
      calls.records.push(row);
      calls.steps.push(`record ${row.status}`);
      return row;
    },
    async planErasure() {
      calls.steps.push('plan');
      return lookup;
    },
    async rewriteBronzeForErasure(input) {
      calls.steps.push(`rewrite ${input.hour}`);
      return { objects: [`m-${input.hour}`], recordsRemoved: 2 };
    },
    async purgeErasedVersions(input) {
      calls.steps.push('purge');
      calls.purged.push(input);
      return input.hours.length;
    },
    async kafkaCopiesExpiry(input) {
      return { kafkaExpiry: input.requestedAt + 1, topics: [] };
    },
    async verifyErasure() {
      verifications += 1;
      calls.steps.push('verify');
      return { findings: findings(verifications) };
    },
  };
  const lookups = createBackfillActivities({ client: () => server.client });
  return { lake, calls, activities: { ...lake.activities, ...erasure, workflowOutcome: lookups.workflowOutcome } };
}

const entry = (requestId: string): ErasureEntry => ({ request_id: requestId, user_key: 'k'.repeat(64), requested_at: 5_000, suppress: false });

describe('eraseUser', () => {
  it('records the request first, rewrites Bronze, restates the hours and their days, purges, then verifies', async () => {
    const [d1, d2] = [nextDay(), nextDay()];
    const lookup: ErasureLookup = {
      silverHours: [
        { hour: `${d1}T23`, rows: 4 },
        { hour: `${d2}T00`, rows: 3 },
      ],
      unreadHours: [{ hour: `${d2}T05`, published: false }],
      publishedNextHours: [`${d2}T01`],
    };
    const { lake, calls, activities } = erasureLake(lookup);
    const taskQueue = uniqueTaskQueue('erase');
    const row = await server.withWorker(taskQueue, activities, () =>
      server.client.workflow.execute(eraseUser, { taskQueue, workflowId: `${taskQueue}-run`, args: [entry('er-20260101000000-0000000a')] }),
    );
    expect(calls.steps).toEqual(['record pending', 'plan', `rewrite ${d1}T23`, `rewrite ${d2}T00`, `rewrite ${d2}T05`, 'purge', 'record done', 'verify', 'record verified']);
    // Published hours and the published hour after them, each promoted again; the unpublished one only rewritten.
    expect([...lake.calls.publishHour].sort()).toEqual([`${d1}T23`, `${d2}T00`, `${d2}T01`]);
    expect(calls.purged).toEqual([{ hours: [`${d1}T23`, `${d2}T00`, `${d2}T01`], days: [d1, d2], entry: entry('er-20260101000000-0000000a') }]);
    // Each day's Gold read its restated hours before the purge.
    expect(lake.calls.promoteDay.map((c) => c.dt).sort()).toEqual(expect.arrayContaining([d1, d2]));
    expect(row).toMatchObject({
      status: 'verified',
      bronze_objects_rewritten: 3,
      bronze_records_removed: 6,
      silver_rows_removed: 7,
      hours_restated: 3,
      days_restated: 2,
      kafka_expiry: 5_001,
      error: null,
    });
    expect(row.completed_at).not.toBeNull();
    expect(row.verified_at).not.toBeNull();
    const child = await server.client.workflow.getHandle(promoteHourWorkflowId(`${d2}T00`)).describe();
    expect(child.status.name).toBe('COMPLETED');
    // Reason erasure, and the quality gate does not hold an erasure up.
    const history = await server.client.workflow.getHandle(promoteHourWorkflowId(`${d2}T00`)).fetchHistory();
    const started = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
    expect(JSON.parse(Buffer.from(started ?? []).toString('utf8'))).toEqual({ hour: `${d2}T00`, reason: 'erasure', acceptQuality: true });
  });

  it('waits for a promotion of the hour already under way, then promotes it again: the last build is after the request', async () => {
    const dt = nextDay();
    const hour = `${dt}T10`;
    const hold = holdFirstCall();
    const { lake, calls, activities } = erasureLake({ silverHours: [{ hour, rows: 1 }], unreadHours: [], publishedNextHours: [] }, () => [], { buildGate: (_h, call) => hold.wait(call) });
    const taskQueue = uniqueTaskQueue('erase-race');
    await server.withWorker(taskQueue, activities, async () => {
      // A scheduled or backfill promotion that read the list before the request: held mid-build.
      const running = await server.client.workflow.start(promoteHour, { taskQueue, workflowId: promoteHourWorkflowId(hour), args: [{ hour, reason: 'backfill' }] });
      await hold.started;
      const erasing = server.client.workflow.start(eraseUser, { taskQueue, workflowId: `${taskQueue}-run`, args: [entry('er-20260101000000-0000000b')] });
      const handle = await erasing;
      // The erasure reached the hour and is waiting for the running promotion.
      for (let i = 0; i < 100 && !calls.steps.includes(`rewrite ${hour}`); i++) await new Promise((r) => setTimeout(r, 200));
      expect(lake.calls.buildHour).toEqual([hour]);
      hold.release();
      await running.result();
      const row = await handle.result();
      expect(row.status).toBe('verified');
    });
    // Two builds: the held one, then the erasure's own, after the held run had published.
    expect(lake.calls.buildHour).toEqual([hour, hour]);
    expect(lake.calls.publishHour).toEqual([hour, hour]);
    expect(calls.steps.indexOf('purge')).toBeGreaterThan(calls.steps.indexOf(`rewrite ${hour}`));
  });

  it('runs another round while verification finds something, and ends FAILED with the record saying why after MAX_ROUNDS', async () => {
    const dt = nextDay();
    const lookup: ErasureLookup = { silverHours: [], unreadHours: [{ hour: `${dt}T03`, published: false }], publishedNextHours: [] };
    const once = erasureLake(lookup, (round) => (round === 1 ? [`Bronze ${dt}T03: 1 records of the user`] : []));
    const queue1 = uniqueTaskQueue('erase-again');
    const row = await server.withWorker(queue1, once.activities, () =>
      server.client.workflow.execute(eraseUser, { taskQueue: queue1, workflowId: `${queue1}-run`, args: [entry('er-20260101000000-0000000c')] }),
    );
    expect(row.status).toBe('verified');
    expect(once.calls.steps.filter((s) => s === 'plan')).toHaveLength(2);
    expect(JSON.parse(row.details ?? '{}')).toMatchObject({ rounds: 2 });

    const never = erasureLake(lookup, () => [`Bronze ${dt}T03: 1 records of the user`]);
    const queue2 = uniqueTaskQueue('erase-fail');
    const err = await server.withWorker(queue2, never.activities, () =>
      server.client.workflow.execute(eraseUser, { taskQueue: queue2, workflowId: `${queue2}-run`, args: [entry('er-20260101000000-0000000d')] }).then(
        () => undefined,
        (e: unknown) => e,
      ),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain(`ErasureIncompleteError: still present after ${MAX_ROUNDS} rounds: Bronze ${dt}T03`);
    expect(never.calls.steps.filter((s) => s === 'verify')).toHaveLength(MAX_ROUNDS);
    const last = never.calls.records.at(-1);
    expect(last).toMatchObject({ status: 'failed', error: expect.stringContaining('ErasureIncompleteError') });
  });
});
