/**
 * clicklake's Produce v11 encoder (core/kafkaProduceRequest.ts) against @platformatic/kafka's own
 * createRequest, byte for byte, in a plain Node process (test/support/produceEncoderCheck.ts: jest
 * cannot load the ES-module client). Needs `npm run build` (npm test builds first).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..');
const SCRIPT = path.join(ROOT, 'dist', 'test', 'support', 'produceEncoderCheck.js');

interface CheckResult {
  readonly cases: number;
  readonly mismatches: string[];
  readonly hookFound: boolean;
  readonly hookInstalled: boolean;
}

function run(...args: string[]): CheckResult {
  if (!fs.existsSync(SCRIPT)) throw new Error(`${SCRIPT} is not built: run \`npm run build\` first`);
  return JSON.parse(execFileSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8', timeout: 60_000 })) as CheckResult;
}

describe('clicklake Produce v11 encoder', () => {
  let r: CheckResult;
  beforeAll(() => {
    r = run();
  });

  it('writes what the client writes, byte for byte, for one message and 41 random batches over topics, partitions and sequences', () => {
    expect(r.cases).toBe(42);
    expect(r.mismatches).toEqual([]);
  });

  it('finds the client API lookup it hooks into (an upgrade that moves it fails here instead of going quietly slower)', () => {
    expect(r.hookFound).toBe(true);
    expect(r.hookInstalled).toBe(true);
  });

  it('the comparison fails when one byte of ours differs', () => {
    expect(run('break').mismatches.length).toBeGreaterThan(0);
  });
});
