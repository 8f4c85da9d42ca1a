/**
 * Records real histories from the running dev server into test/replay/histories/, for the replay test:
 *   node dist/test/replay/record.js <workflowId>[@<runId>] <name> [<workflowId>[@<runId>] <name> ...]
 * (without a run id, the latest run of the workflow id).
 * Record again (and guard the change with patched()) before changing a shipped workflow.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { connectTemporal } from '../../activities/clients';
import { loadConfig } from '../../workers/config';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length === 0 || args.length % 2 !== 0) throw new Error('usage: record.js <workflowId>[@<runId>] <name> [...]');
  const config = loadConfig();
  const connection = await connectTemporal(config.temporal);
  try {
    const client = new Client({ connection, namespace: config.temporal.namespace });
    for (let i = 0; i < args.length; i += 2) {
      const [target, name] = [args[i] as string, args[i + 1] as string];
      const [workflowId, runId] = target.split('@') as [string, string | undefined];
      const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
      // Binary protobuf, as the server sends it: no JSON conversion to drift between SDK versions.
      const file = path.join(__dirname, '..', '..', '..', 'test', 'replay', 'histories', `${name}.history.bin`);
      fs.writeFileSync(file, temporal.api.history.v1.History.encode(history).finish());
      process.stdout.write(`${target} -> ${file} (${history.events?.length ?? 0} events)\n`);
    }
  } finally {
    await connection.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
