/**
 * `clicklake <command>` (CONTRACT §4, docs/cli.md): bin/clicklake.js runs this file. The commands
 * live one a file under workers/cli/ and are listed in workers/cli/commands.ts.
 */
import { COMMANDS } from './cli/commands';
import { main } from './cli/main';

void main(process.argv.slice(2), COMMANDS).then((code) => {
  process.exitCode = code;
});
