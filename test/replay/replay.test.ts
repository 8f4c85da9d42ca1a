/**
 * Every recorded history replays cleanly against today's workflow code; a reordered workflow is caught.
 * No server is needed: replay runs the workflow code against the recorded events.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { DeterminismViolationError } from '@temporalio/workflow';

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

  it('catches a workflow whose activities were reordered', async () => {
    const promoteHourFile = files.find((f) => f.startsWith('promoteHour')) as string;
    await expect(
      Worker.runReplayHistory({ workflowsPath: require.resolve('./reordered') }, history(promoteHourFile), promoteHourFile),
    ).rejects.toThrow(DeterminismViolationError);
  }, 120_000);
});
