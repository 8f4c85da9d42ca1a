/**
 * Every command of `clicklake`, in the order help lists them. A new command is a new file under
 * workers/cli/ and one line here.
 */
import { backfillCommand } from './backfill';
import type { CliCommand } from './command';
import { compactCommand } from './compact';
import { ctrCommand } from './ctr';
import { deleteUserCommand } from './deleteUser';
import { demoCommand } from './demo';
import { generateCommand } from './generate';
import { helpCommand } from './help';
import { keysCreateCommand, keysListCommand, keysRevokeCommand } from './keys';
import { promoteCommand } from './promote';
import { queryCommand } from './query';
import { reconcileCommand } from './reconcile';
import { rollbackCommand } from './rollback';
import { stackDownCommand, stackStatusCommand, stackUpCommand } from './stack';
import { statusCommand } from './status';
import { verifyCommand } from './verify';
import { workerCommand } from './worker';

export const COMMANDS: readonly CliCommand[] = [
  stackUpCommand,
  stackDownCommand,
  stackStatusCommand,
  demoCommand,
  generateCommand,
  statusCommand,
  promoteCommand,
  reconcileCommand,
  backfillCommand,
  compactCommand,
  rollbackCommand,
  deleteUserCommand,
  keysCreateCommand,
  keysListCommand,
  keysRevokeCommand,
  workerCommand,
  ctrCommand,
  queryCommand,
  verifyCommand,
  helpCommand,
];
