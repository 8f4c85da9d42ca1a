/**
 * Every recorded history replays cleanly against today's workflow code; the same code with two
 * activities swapped is caught, by a determinism error naming them.
 * No server is needed: replay runs the workflow code against the recorded events.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';
import { COPIES_DIR, PROMOTE_HOUR_SOURCE, swapCalls, writeWorkflowCopy } from './reordered/swap';

const dir = path.join(__dirname, 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.history.bin')).sort();

function history(file: string): temporal.api.history.v1.IHistory {
  return temporal.api.history.v1.History.decode(fs.readFileSync(path.join(dir, file)));
}

beforeAll(() => {
  Runtime.install({ logger: new DefaultLogger('WARN') });
});

describe('replay of recorded histories', () => {
  it('has histories of the lake workflows', () => {
    expect(files.map((f) => f.replace(/\.history\.bin$/, ''))).toEqual(expect.arrayContaining(['ingestBronze', 'promoteHour', 'promoteDay']));
  });

  it.each(files)('%s replays against the current workflows', async (file) => {
    await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history(file), file);
  }, 120_000);

});

describe('a promoteHour whose two activities trade places', () => {
  const promoteHourFile = files.find((f) => f === 'promoteHour.history.bin') as string;
  const original = fs.readFileSync(PROMOTE_HOUR_SOURCE, 'utf8');
  // Today's workflow with waitForBronze and buildHour swapped: it builds before Bronze has caught up.
  const reordered = swapCalls(original, 'bronze.waitForBronze(', 'promote.buildHour(');

  afterAll(() => fs.rmSync(COPIES_DIR, { recursive: true, force: true }));

  it('differs from the workflow only in the order of those two lines', () => {
    const changed = original.split('\n').flatMap((line, i) => (line === reordered.split('\n')[i] ? [] : [line.trim()]));
    expect(changed).toEqual(['await bronze.waitForBronze({ endOffsets });', 'built = await promote.buildHour({ hour, ...identity, ...(input.acceptQuality === true ? { acceptQuality: true } : {}) });']);
    expect([...reordered.split('\n')].sort()).toEqual([...original.split('\n')].sort());
  });

  it('replays when copied the same way but left in order (the copy itself is sound)', async () => {
    const copy = writeWorkflowCopy(original, 'inOrder');
    await Worker.runReplayHistory({ workflowsPath: copy }, history(promoteHourFile), promoteHourFile);
  }, 120_000);

  it('fails replay with a determinism violation naming the two activity types', async () => {
    const copy = writeWorkflowCopy(reordered, 'reordered');
    const error = await Worker.runReplayHistory({ workflowsPath: copy }, history(promoteHourFile), promoteHourFile).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(DeterminismViolationError);
    // The first command that differs: the history scheduled waitForBronze where the copy asks for buildHour.
    expect((error as Error).message).toMatch(/Nondeterminism.*scheduled event 'waitForBronze' does not match .*activity command 'buildHour'/);
  }, 120_000);
});
