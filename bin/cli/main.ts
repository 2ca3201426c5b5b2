// The `etcd-ha` command line: parses arguments and hands each command to its own module.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { localUp } from './local-up';
import { localStatus } from './local-status';
import { localEnv } from './local-env';
import { localDown } from './local-down';
import { provision } from './aws-provision';
import { watch } from './aws-watch';
import { replace } from './aws-replace';
import { localKill, localReplace } from './local-replace';
import { localHeal } from './local-heal';
import { setMaintenance } from './aws-maintenance';
import { localPower, localSetMaintenance } from './local-maintenance';
import { consoleOutput, UsageError, type Output } from './output';
import { SpecValidationError } from '../../lambdas/core/errors';

const USAGE = `usage: etcd-ha <command>

Local mode (one machine, loopback addresses 127.0.0.11+):
  local up [--members N | --spec FILE]   provision a local mTLS etcd cluster (default 3 members: infra0..2)
  local status [--json]                  per-member ID, endpoint, health, leader, learner, db size
  local env                              etcdctl settings: eval "$(etcd-ha local env)"
  local down                             stop every local member and remove the local state
  local kill --member NAME               SIGKILL a member's etcd (its data dir stays), as when a host dies
  local replace --member NAME [--name NEW] [--force]
                                         run ReplaceMember locally onto a new loopback address
  local heal                             replace members that die, like the EventBridge rule (Ctrl-C stops);
                                         does nothing while healing is paused
  local pause --reason TEXT [--by WHO]   pause automatic healing (local heal, the stop path); local replace still works
  local resume [--by WHO]                resume it (every pause and resume is kept in the record; local status shows it)
  local stop|start --member NAME         stop a member's simulated host (etcd stopped, data dir kept) or start it again

AWS (the deployed stack; credentials and region as for the aws CLI):
  provision --spec FILE [--state-machine ARN] [--name NAME] [--no-watch]
                                         check the spec, start ProvisionCluster with it and follow it
                                         (ARN: stack output ProvisionClusterStateMachineArn, or set
                                         ETCD_HA_PROVISION_STATE_MACHINE_ARN; NAME: <clusterName>-<UTC time>)
  replace --cluster NAME --member NAME [--instance ID] [--replacement-name NEW] [--force]
          [--state-machine ARN] [--name NAME] [--no-watch]
                                         start ReplaceMember by hand and follow it; without --instance the
                                         workflow launches a clone of the member's instance (ARN: stack output
                                         ReplaceMemberStateMachineArn, or set ETCD_HA_REPLACE_STATE_MACHINE_ARN)
  pause --cluster NAME --reason TEXT [--by WHO] [--state-machine ARN] [--name NAME] [--no-watch]
  resume --cluster NAME [--by WHO] [--state-machine ARN] [--name NAME] [--no-watch]
                                         pause or resume automatic healing (EC2 rule, stop grace period, health
                                         probe) with the SetMaintenance workflow; \`replace\` still works while paused
                                         (ARN: stack output SetMaintenanceStateMachineArn, or set
                                         ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN; WHO: default user@host)
  watch EXECUTION_ARN                    follow an execution: a line per state, then its outcome
                                         (exit 0 when it succeeded, 1 when it failed, timed out or was aborted)`;

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
  if (group === 'provision') return provisionCommand(argv.slice(1), output);
  if (group === 'watch') return watchCommand(argv.slice(1), output);
  if (group === 'replace') return replaceCommand(argv.slice(1), output);
  if (group === 'pause' || group === 'resume') return maintenanceCommand(group, argv.slice(1), output);
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
    case 'kill': {
      const { values } = parseArgs({ args: rest, options: { member: { type: 'string' } }, strict: true });
      if (!values.member) throw new UsageError('local kill needs --member NAME');
      return localKill(values.member, output);
    }
    case 'replace': {
      const { values } = parseArgs({ args: rest, options: { member: { type: 'string' }, name: { type: 'string' }, force: { type: 'boolean', default: false } }, strict: true });
      if (!values.member) throw new UsageError('local replace needs --member NAME');
      return localReplace({ member: values.member, ...(values.name && { replacementName: values.name }), force: values.force ?? false }, output);
    }
    case 'heal': {
      parseArgs({ args: rest, options: {}, strict: true });
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      return localHeal(output, stop.signal);
    }
    case 'down':
      parseArgs({ args: rest, options: {}, strict: true });
      return localDown(output);
    case 'pause':
    case 'resume': {
      const { values: given } = parseCommandArgs({ args: rest, options: { reason: { type: 'string' }, by: { type: 'string' } }, strict: true });
      if (command === 'resume' && given.reason !== undefined) throw new UsageError('local resume takes no --reason');
      if (command === 'pause' && given.reason === undefined) throw new UsageError('local pause needs --reason TEXT (what is being done, and until when)');
      return localSetMaintenance({ action: command, ...(given.reason !== undefined && { reason: given.reason }), ...(given.by !== undefined && { by: given.by }) }, output);
    }
    case 'stop':
    case 'start': {
      const { values } = parseCommandArgs({ args: rest, options: { member: { type: 'string' } }, strict: true });
      if (!values.member) throw new UsageError(`local ${command} needs --member NAME`);
      return localPower(command, values.member, output);
    }
    default:
      throw new UsageError(`unknown command "local ${command ?? ''}"\n${USAGE}`);
  }
}

/** parseArgs with its complaints (unknown option, missing value) as usage errors: exit 2, no stack trace. */
function parseCommandArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    if (String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw new UsageError(`${(error as Error).message}\n${USAGE}`);
    throw error;
  }
}

function provisionCommand(args: string[], output: Output): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: { spec: { type: 'string' }, 'state-machine': { type: 'string' }, name: { type: 'string' }, 'no-watch': { type: 'boolean', default: false } },
    strict: true,
  });
  if (values.spec === undefined) throw new UsageError(`provision needs --spec FILE\n${USAGE}`);
  return provision(
    {
      specFile: values.spec,
      watch: !values['no-watch'],
      ...(values['state-machine'] !== undefined && { stateMachineArn: values['state-machine'] }),
      ...(values.name !== undefined && { name: values.name }),
    },
    output,
  );
}

function replaceCommand(args: string[], output: Output): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      cluster: { type: 'string' },
      member: { type: 'string' },
      instance: { type: 'string' },
      'replacement-name': { type: 'string' },
      force: { type: 'boolean', default: false },
      'state-machine': { type: 'string' },
      name: { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.cluster === undefined || values.member === undefined) throw new UsageError(`replace needs --cluster NAME and --member NAME\n${USAGE}`);
  return replace(
    {
      cluster: values.cluster,
      member: values.member,
      force: values.force ?? false,
      watch: !values['no-watch'],
      ...(values.instance !== undefined && { instance: values.instance }),
      ...(values['replacement-name'] !== undefined && { replacementName: values['replacement-name'] }),
      ...(values['state-machine'] !== undefined && { stateMachineArn: values['state-machine'] }),
      ...(values.name !== undefined && { name: values.name }),
    },
    output,
  );
}

function maintenanceCommand(action: 'pause' | 'resume', args: string[], output: Output): Promise<number> {
  const { values } = parseCommandArgs({
    args,
    options: {
      cluster: { type: 'string' },
      reason: { type: 'string' },
      by: { type: 'string' },
      'state-machine': { type: 'string' },
      name: { type: 'string' },
      'no-watch': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.cluster === undefined) throw new UsageError(`${action} needs --cluster NAME\n${USAGE}`);
  if (action === 'pause' && values.reason === undefined) throw new UsageError(`pause needs --reason TEXT (what is being done, and until when)\n${USAGE}`);
  if (action === 'resume' && values.reason !== undefined) throw new UsageError('resume takes no --reason');
  return setMaintenance(
    {
      cluster: values.cluster,
      action,
      watch: !values['no-watch'],
      ...(values.reason !== undefined && { reason: values.reason }),
      ...(values.by !== undefined && { by: values.by }),
      ...(values['state-machine'] !== undefined && { stateMachineArn: values['state-machine'] }),
      ...(values.name !== undefined && { name: values.name }),
    },
    output,
  );
}

function watchCommand(args: string[], output: Output): Promise<number> {
  const { positionals } = parseCommandArgs({ args, options: {}, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError(`watch needs one EXECUTION_ARN\n${USAGE}`);
  return watch(positionals[0]!, output);
}
