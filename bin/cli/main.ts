// The `etcd-ha` command line: parses arguments and hands each command to its own module.
import { parseArgs } from 'node:util';
import { localUp } from './local-up';
import { localStatus } from './local-status';
import { localEnv } from './local-env';
import { localDown } from './local-down';
import { consoleOutput, UsageError, type Output } from './output';
import { SpecValidationError } from '../../lambdas/core/errors';

const USAGE = `usage: etcd-ha <command>

Local mode (one machine, loopback addresses 127.0.0.11+):
  local up [--members N | --spec FILE]   provision a local mTLS etcd cluster (default 3 members: infra0..2)
  local status [--json]                  per-member ID, endpoint, health, leader, learner, db size
  local env                              etcdctl settings: eval "$(etcd-ha local env)"
  local down                             stop every local member and remove the local state`;

export async function main(argv: string[], output: Output = consoleOutput): Promise<number> {
  try {
    return await dispatch(argv, output);
  } catch (error) {
    if (error instanceof UsageError || error instanceof SpecValidationError) {
      output.err(`etcd-ha: ${error.message}`);
      return 2;
    }
    output.err(`etcd-ha: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}

async function dispatch(argv: string[], output: Output): Promise<number> {
  const [group, command, ...rest] = argv;
  if (group === undefined || group === 'help' || group === '--help' || group === '-h') {
    output.out(USAGE);
    return group === undefined ? 2 : 0;
  }
  if (group !== 'local') throw new UsageError(`unknown command "${group}"\n${USAGE}`);
  switch (command) {
    case 'up': {
      const { values } = parseArgs({ args: rest, options: { members: { type: 'string' }, spec: { type: 'string' } }, strict: true });
      const members = values.members === undefined ? undefined : Number(values.members);
      if (members !== undefined && !Number.isInteger(members)) throw new UsageError(`--members must be a whole number, got "${values.members}"`);
      return localUp({ ...(members !== undefined && { members }), ...(values.spec !== undefined && { specFile: values.spec }) }, output);
    }
    case 'status': {
      const { values } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } }, strict: true });
      return localStatus({ json: values.json ?? false }, output);
    }
    case 'env':
      parseArgs({ args: rest, options: {}, strict: true });
      return localEnv(output);
    case 'down':
      parseArgs({ args: rest, options: {}, strict: true });
      return localDown(output);
    default:
      throw new UsageError(`unknown command "local ${command ?? ''}"\n${USAGE}`);
  }
}
