// The `etcd-ha` command line (commander): parses arguments and hands each command to its own module. A command's
// module is loaded only when that command runs, so `etcd-ha --help` loads commander and this file, nothing heavy
// (no AWS SDK, no aws-cdk-lib, no etcd client). The loads are `require` calls, not `import()`: the CLI runs through
// tsx's CommonJS hook, which a dynamic import() would bypass.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { EXIT, EXIT_CODES_HELP, UsageError, consoleOutput, type Output, type OutputFormat } from './output';
import { SpecValidationError } from '../../lambdas/core/errors';

type LocalUp = typeof import('./local-up');
type LocalStatus = typeof import('./local-status');
type LocalEnv = typeof import('./local-env');
type LocalDown = typeof import('./local-down');
type LocalReplace = typeof import('./local-replace');
type LocalHeal = typeof import('./local-heal');
type LocalMaintenance = typeof import('./local-maintenance');
type AwsProvision = typeof import('./aws-provision');
type AwsReplace = typeof import('./aws-replace');
type AwsMaintenance = typeof import('./aws-maintenance');
type AwsWatch = typeof import('./aws-watch');
type AwsStatus = typeof import('./aws-status');
type AwsDelete = typeof import('./aws-delete');
type AwsBackup = typeof import('./aws-backup');
type LocalBackup = typeof import('./local-backup');
type LocalSchedule = typeof import('./local-schedule');
type Drill = typeof import('./drill');
type AwsRestore = typeof import('./aws-restore');
type LocalRestore = typeof import('./local-restore');
type Scale = typeof import('./scale');
type Adopt = typeof import('./adopt');
type LocalKubeadmMember = typeof import('./local-kubeadm-member');
type ControlPlaneConfig = typeof import('./control-plane-config');
type ConnectControlPlane = typeof import('./connect-control-plane');

/** Loads a command's module when the command runs. */
function load<M>(path: string): M {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(path) as M;
}

function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version;
}

const OUTPUT_OPTION_FLAGS = '-o, --output <format>';

function outputOption(): Option {
  return new Option(OUTPUT_OPTION_FLAGS, 'text, or json: one JSON document on stdout (progress goes to stderr)').choices(['text', 'json']).default('text');
}

function wholeNumber(flag: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n)) throw new UsageError(`${flag} must be a whole number, got "${value}"`);
    return n;
  };
}

const STATE_MACHINE_HELP = {
  provision: 'ProvisionCluster state machine (default: $ETCD_HA_PROVISION_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=ProvisionCluster; stack output ProvisionClusterStateMachineArn)',
  replace: 'ReplaceMember state machine (default: $ETCD_HA_REPLACE_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=ReplaceMember; stack output ReplaceMemberStateMachineArn)',
  maintenance: 'SetMaintenance state machine (default: $ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=SetMaintenance; stack output SetMaintenanceStateMachineArn)',
  health:
    'CheckClusterHealth state machine (default: $ETCD_HA_HEALTH_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=CheckClusterHealth; stack output CheckClusterHealthStateMachineArn)',
  backup: 'BackupCluster state machine (default: $ETCD_HA_BACKUP_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=BackupCluster; stack output BackupClusterStateMachineArn)',
  drill: 'DrillRestore state machine (default: $ETCD_HA_DRILL_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=DrillRestore; stack output DrillRestoreStateMachineArn)',
  delete: 'DeleteCluster state machine (default: $ETCD_HA_DELETE_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=DeleteCluster; stack output DeleteClusterStateMachineArn)',
  restore: 'RestoreCluster state machine (default: $ETCD_HA_RESTORE_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=RestoreCluster; stack output RestoreClusterStateMachineArn)',
  adopt: 'AdoptCluster state machine (default: $ETCD_HA_ADOPT_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=AdoptCluster; stack output AdoptClusterStateMachineArn)',
  connect:
    'ConnectControlPlane state machine (default: $ETCD_HA_CONNECT_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=ConnectControlPlane; stack output ConnectControlPlaneStateMachineArn)',
  scale: 'ScaleCluster state machine (default: $ETCD_HA_SCALE_STATE_MACHINE_ARN, else the one tagged etcd-ha:workflow=ScaleCluster; stack output ScaleClusterStateMachineArn)',
};

/** The whole command tree; each action stores its exit code in `exit.code`. */
export function buildProgram(output: Output, exit: { code: number }): Command {
  const program = new Command('etcd-ha')
    .description('Build and heal highly-available etcd clusters: on AWS (the deployed stack) or on this machine (local mode).')
    .version(version(), '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .addHelpCommand('help [command]', 'print the help of a command')
    .configureOutput({
      writeOut: (text) => output.out(text.replace(/\n$/, '')),
      writeErr: (text) => output.err(text.replace(/\n$/, '')),
      outputError: (text, write) => write(text.replace(/^error: /, 'etcd-ha: ')),
    })
    .showHelpAfterError('(add --help for usage)')
    .allowExcessArguments(false)
    .exitOverride()
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);

  const run = (action: () => Promise<number> | number) => async () => {
    exit.code = await action();
  };

  // ---- local mode ----
  const local = program
    .command('local')
    .description('a real mTLS etcd cluster on this machine (loopback addresses 127.0.0.11+), run by the same workflows')
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);

  local
    .command('up')
    .description('provision a local cluster with the ProvisionCluster workflow (default: 3 members infra0..2); on a recorded cluster, reconcile it')
    .option('--members <n>', 'how many members: 1, 3, 5 or 7', wholeNumber('--members'))
    .option('--spec <file>', 'a cluster spec (JSON); its runtime must be systemd')
    .addOption(outputOption())
    .action(
      (opts: { members?: number; spec?: string; output: OutputFormat }) =>
        run(() =>
          load<LocalUp>('./local-up').localUp(
            { ...(opts.members !== undefined && { members: opts.members }), ...(opts.spec !== undefined && { specFile: opts.spec }), format: opts.output },
            output,
          ),
        )(),
    );

  local
    .command('status')
    .description('per member: ID, endpoint, health, leader, learner, db size; exit 3 when not healthy')
    .addOption(outputOption())
    .addOption(new Option('--json', 'the same as -o json').hideHelp())
    .action((opts: { output: OutputFormat; json?: boolean }) =>
      run(() => load<LocalStatus>('./local-status').localStatus({ format: opts.json ? 'json' : opts.output }, output))(),
    );

  local
    .command('env')
    .description('etcdctl settings for the local cluster: eval "$(etcd-ha local env)"')
    .action(() => run(() => load<LocalEnv>('./local-env').localEnv(output))());

  local
    .command('down')
    .description(
      'DeleteCluster on the local cluster (etcd stopped, secrets and record deleted), then every local member stopped by PID and the local state removed; only a directory with etcd-ha\'s marker',
    )
    .option('--dry-run', 'only list what DeleteCluster would delete; change nothing', false)
    .option('--by <who>', 'who deletes (default: user@host)')
    .addOption(outputOption())
    .action((opts: { dryRun: boolean; by?: string; output: OutputFormat }) =>
      run(() => load<LocalDown>('./local-down').localDown(output, { dryRun: opts.dryRun, format: opts.output, ...(opts.by !== undefined && { by: opts.by }) }))(),
    );

  // ---- BackupCluster, local ----
  local
    .command('backup')
    .description("BackupCluster on the local cluster: a snapshot checked against etcd's SHA-256, kept under the local home; prints where it is and its revision")
    .addOption(outputOption())
    .action((opts: { output: OutputFormat }) => run(() => load<LocalBackup>('./local-backup').localBackup({ format: opts.output }, output))());
  local
    .command('backups')
    .description("the local cluster's backups, newest first: time, revision, size, where; the last good one marked")
    .addOption(outputOption())
    .action((opts: { output: OutputFormat }) => run(() => load<LocalBackup>('./local-backup').localBackups({ format: opts.output }, output))());

  // ---- The local scheduler (BackupCluster on its schedule) ----
  local
    .command('schedule')
    .description('in the foreground, the scheduled workflows through the local runner: BackupCluster (which prunes) and DrillRestore, each on its schedule; one line per run; Ctrl-C stops after the running workflow')
    .option('--backup-every <schedule>', 'BackupCluster\'s schedule: a duration ("2s", "1m", "1h"), "rate(15 minutes)", or "off" (default: the stack\'s, rate(15 minutes))')
    .option('--drill-every <schedule>', 'DrillRestore\'s schedule, in the same forms (default: the stack\'s, rate(1 day))')
    .option('--backup-retention <json>', 'the retention tiers, as the backupRetention context key: {"keepAllHours": 24, "hourlyDays": 7, "dailyDays": 90}')
    .option('--runs <n>', 'stop after this many runs in all', wholeNumber('--runs'))
    .option('--for <duration>', 'start nothing after this long ("30s", "10m")')
    .action((opts: { backupEvery?: string; drillEvery?: string; backupRetention?: string; runs?: number; for?: string }) =>
      run(() => load<LocalSchedule>('./local-schedule').localSchedule(opts, output))(),
    );
  // ---- DrillRestore, local ----
  local
    .command('drill')
    .description('DrillRestore on the local cluster: its last good backup restored on one member host into a temporary etcd, keys and revision compared, then removed; exit 1 when the drill fails')
    .addOption(outputOption())
    .action((opts: { output: OutputFormat }) => run(() => load<Drill>('./drill').localDrill({ format: opts.output }, output))());
  // ---- RestoreCluster, local ----
  local
    .command('restore')
    .description(
      'RestoreCluster on the local cluster from its last good backup (or --snapshot): etcd stopped on every member, data dirs moved aside, each member restored and started; without --confirm a dry run that prints the plan and changes nothing',
    )
    .option('--snapshot <name|path>', 'a backup by name or snapshot path, as `local backups` lists it (default: the last good one)')
    .option('--confirm <name>', "the local cluster's name: only then is anything changed")
    .option('--by <who>', 'who restores (default: user@host)')
    .addOption(outputOption())
    .action((opts: { snapshot?: string; confirm?: string; by?: string; output: OutputFormat }) =>
      run(() =>
        load<LocalRestore>('./local-restore').localRestore(
          {
            format: opts.output,
            ...(opts.snapshot !== undefined && { snapshot: opts.snapshot }),
            ...(opts.confirm !== undefined && { confirm: opts.confirm }),
            ...(opts.by !== undefined && { by: opts.by }),
          },
          output,
        ),
      )(),
    );

  local
    .command('kill')
    .description("SIGKILL a member's etcd (its data dir stays), as when a host dies")
    .requiredOption('--member <name>', 'the member')
    .action((opts: { member: string }) => run(() => load<LocalReplace>('./local-replace').localKill(opts.member, output))());

  local
    .command('replace')
    .description('run ReplaceMember locally onto a new loopback address')
    .requiredOption('--member <name>', 'the member to replace')
    .option('--name <new>', 'the new member\'s name (default: the next free infraN)')
    .option('--force', 'replace it even though it still answers', false)
    .addOption(outputOption())
    .action((opts: { member: string; name?: string; force: boolean; output: OutputFormat }) =>
      run(() =>
        load<LocalReplace>('./local-replace').localReplace(
          { member: opts.member, ...(opts.name && { replacementName: opts.name }), force: opts.force, format: opts.output },
          output,
        ),
      )(),
    );

  local
    .command('scale')
    .description('run ScaleCluster locally, one member at a time: grow (new members on the next free loopback addresses) or shrink')
    .requiredOption('--members <n>', 'the number of members wanted: odd, at most 7', wholeNumber('--members'))
    .option('--allow-single-member', 'allow --members 1 (no fault tolerance)', false)
    .addOption(outputOption())
    .action((opts: { members: number; allowSingleMember: boolean; output: OutputFormat }) =>
      run(() => load<Scale>('./scale').localScale({ members: opts.members, allowSingleMember: opts.allowSingleMember, format: opts.output }, output))(),
    );

  local
    .command('kubeadm-member')
    .description('make a kubeadm-style single etcd member on a simulated host of the local home, to try local adopt on')
    .requiredOption('--member <name>', 'its node name, e.g. cp-1')
    .requiredOption('--address <ip>', 'its loopback address, e.g. 127.0.0.41')
    .option('--client-port <port>', 'client port (default 22379)', wholeNumber('--client-port'))
    .option('--peer-port <port>', 'peer port (default 22380)', wholeNumber('--peer-port'))
    .action((opts: { member: string; address: string; clientPort?: number; peerPort?: number }) =>
      run(() =>
        load<LocalKubeadmMember>('./local-kubeadm-member').localKubeadmMember(
          { member: opts.member, address: opts.address, ...(opts.clientPort !== undefined && { clientPort: opts.clientPort }), ...(opts.peerPort !== undefined && { peerPort: opts.peerPort }) },
          output,
        ),
      )(),
    );

  // ---- Connect the control plane (local) ----
  local
    .command('control-plane-config')
    .description("print kubeadm's ClusterConfiguration etcd.external block for the local cluster (endpoints by its name, or --by-address)")
    .option('--api <version>', 'kubeadm config API: v1beta4 (kubeadm >= 1.31) or v1beta3', 'v1beta4')
    .option('--by-address', "list the members' loopback URLs instead of the cluster's name", false)
    .action((opts: { api: string; byAddress: boolean }) =>
      run(() => load<ControlPlaneConfig>('./control-plane-config').localControlPlaneConfig({ api: opts.api, byAddress: opts.byAddress }, output))(),
    );

  local
    .command('control-plane-host')
    .description('make a simulated kubeadm control-plane host (<home>/hosts/<name>): a kube-apiserver manifest and its stand-in API server')
    .requiredOption('--host <name=address>', 'its name and loopback address, e.g. cp-0=127.0.0.31')
    .action((opts: { host: string }) => run(() => load<ConnectControlPlane>('./connect-control-plane').localControlPlaneHost({ host: opts.host }, output))());

  local
    .command('connect-control-plane')
    .description('run ConnectControlPlane locally: push the client files to simulated control-plane hosts and point their API servers at the cluster, one at a time')
    .option('--host <name=address>', 'a simulated control-plane host (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .addOption(outputOption())
    .action((opts: { host?: string[]; output: OutputFormat }) =>
      run(() => load<ConnectControlPlane>('./connect-control-plane').localConnect({ hosts: opts.host ?? [], format: opts.output }, output))(),
    );

  local
    .command('adopt')
    .description("run AdoptCluster locally: take over a kubeadm single-member etcd on a simulated host (<home>/hosts/<member>); a dry run unless --confirm")
    .requiredOption('--member <name>', "the host's node name, which is etcd's member name")
    .requiredOption('--address <ip>', "the simulated host's loopback address")
    .option('--cluster <name>', 'the name the cluster gets', 'local')
    .option('--confirm <name>', 'the cluster name again: adopt it (without it: a dry run that changes nothing)')
    .addOption(outputOption())
    .action((opts: { member: string; address: string; cluster: string; confirm?: string; output: OutputFormat }) =>
      run(() =>
        load<Adopt>('./adopt').localAdopt(
          { cluster: opts.cluster, member: opts.member, address: opts.address, ...(opts.confirm !== undefined && { confirm: opts.confirm }), format: opts.output },
          output,
        ),
      )(),
    );

  local
    .command('heal')
    .description('replace members that die, like the EventBridge rule (Ctrl-C stops); nothing while healing is paused')
    .action(() =>
      run(() => {
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        return load<LocalHeal>('./local-heal').localHeal(output, stop.signal);
      })(),
    );

  local
    .command('pause')
    .description('pause automatic healing (local heal, the stop path); local replace still works')
    .requiredOption('--reason <text>', 'what is being done, and until when')
    .option('--by <who>', 'who pauses (default: user@host)')
    .addOption(outputOption())
    .action((opts: { reason: string; by?: string; output: OutputFormat }) =>
      run(() =>
        load<LocalMaintenance>('./local-maintenance').localSetMaintenance(
          { action: 'pause', reason: opts.reason, ...(opts.by !== undefined && { by: opts.by }), format: opts.output },
          output,
        ),
      )(),
    );

  local
    .command('resume')
    .description('resume automatic healing (every pause and resume is kept in the record; local status shows it)')
    .option('--by <who>', 'who resumes (default: user@host)')
    .addOption(outputOption())
    .action((opts: { by?: string; output: OutputFormat }) =>
      run(() =>
        load<LocalMaintenance>('./local-maintenance').localSetMaintenance({ action: 'resume', ...(opts.by !== undefined && { by: opts.by }), format: opts.output }, output),
      )(),
    );

  for (const action of ['stop', 'start'] as const) {
    local
      .command(action)
      .description(
        action === 'stop'
          ? "stop a member's simulated host (etcd stopped, data dir kept), as an instance stopped for a resize"
          : "start a member's simulated host again; its etcd starts from its data dir",
      )
      .requiredOption('--member <name>', 'the member')
      .action((opts: { member: string }) => run(() => load<LocalMaintenance>('./local-maintenance').localPower(action, opts.member, output))());
  }

  // ---- AWS ----
  program
    .command('provision')
    .description('check a cluster spec here (a bad one starts nothing), start ProvisionCluster with it and follow it')
    .option('--spec <file>', 'the cluster spec (JSON), e.g. samples/guide-3-members.json')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.provision)
    .option('--name <name>', 'the execution name (default: <clusterName>-<UTC time>)')
    .option('--no-watch', 'start it and return (follow it later with `etcd-ha watch`)')
    .addOption(outputOption())
    .action((opts: { spec?: string; stateMachine?: string; name?: string; watch: boolean; output: OutputFormat }) =>
      run(() => {
        if (opts.spec === undefined) throw new UsageError('provision needs --spec FILE');
        return load<AwsProvision>('./aws-provision').provision(
          {
            specFile: opts.spec,
            watch: opts.watch,
            format: opts.output,
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        );
      })(),
    );

  program
    .command('replace')
    .description('start ReplaceMember by hand and follow it; without --instance the workflow launches a clone of the member\'s instance')
    .option('--cluster <name>', 'the cluster')
    .option('--member <name>', 'the member to replace')
    .option('--instance <id>', 'the EC2 instance that takes its place')
    .option('--replacement-name <new>', 'the new member\'s name')
    .option('--force', 'replace it even though it still answers', false)
    .option('--state-machine <arn>', STATE_MACHINE_HELP.replace)
    .option('--name <name>', 'the execution name (default: <cluster>-<member>-<UTC time>)')
    .option('--no-watch', 'start it and return')
    .addOption(outputOption())
    .action(
      (opts: {
        cluster?: string;
        member?: string;
        instance?: string;
        replacementName?: string;
        force: boolean;
        stateMachine?: string;
        name?: string;
        watch: boolean;
        output: OutputFormat;
      }) =>
        run(() => {
          if (opts.cluster === undefined || opts.member === undefined) throw new UsageError('replace needs --cluster NAME and --member NAME');
          return load<AwsReplace>('./aws-replace').replace(
            {
              cluster: opts.cluster,
              member: opts.member,
              force: opts.force,
              watch: opts.watch,
              format: opts.output,
              ...(opts.instance !== undefined && { instance: opts.instance }),
              ...(opts.replacementName !== undefined && { replacementName: opts.replacementName }),
              ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
              ...(opts.name !== undefined && { name: opts.name }),
            },
            output,
          );
        })(),
    );

  // ---- Connect the control plane ----
  program
    .command('control-plane-config')
    .description("print kubeadm's ClusterConfiguration etcd.external block for the cluster: endpoints by the cluster's name, the CA and client pair ConnectControlPlane installs")
    .requiredOption('--cluster <name>', 'the cluster')
    .option('--api <version>', 'kubeadm config API: v1beta4 (kubeadm >= 1.31) or v1beta3', 'v1beta4')
    .option('--client-port <port>', "etcd's client port (default 2379)", wholeNumber('--client-port'))
    .option('--zone <zone>', 'the private hosted zone of the names (default etcd-ha.internal)')
    .action((opts: { cluster: string; api: string; clientPort?: number; zone?: string }) =>
      run(() =>
        load<ControlPlaneConfig>('./control-plane-config').controlPlaneConfig(
          { cluster: opts.cluster, api: opts.api, ...(opts.clientPort !== undefined && { clientPort: opts.clientPort }), ...(opts.zone !== undefined && { zone: opts.zone }) },
          output,
        ),
      )(),
    );

  program
    .command('connect-control-plane')
    .description("start ConnectControlPlane and follow it: push etcd's CA and the apiserver-etcd-client pair to the control-plane instances, then point each kube-apiserver at etcd, one at a time")
    .requiredOption('--cluster <name>', 'the cluster')
    .option('--instance <id>', 'a control-plane instance tagged etcd-ha:control-plane=<cluster> (repeatable; default: every one tagged so)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--state-machine <arn>', STATE_MACHINE_HELP.connect)
    .option('--name <name>', 'the execution name (default: <cluster>-connect-<UTC time>)')
    .option('--no-watch', 'start it and return')
    .addOption(outputOption())
    .action((opts: { cluster: string; instance?: string[]; stateMachine?: string; name?: string; watch: boolean; output: OutputFormat }) =>
      run(() =>
        load<ConnectControlPlane>('./connect-control-plane').awsConnect(
          {
            cluster: opts.cluster,
            instances: opts.instance ?? [],
            watch: opts.watch,
            format: opts.output,
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        ),
      )(),
    );

  program
    .command('adopt')
    .description('start AdoptCluster and follow it: take over the kubeadm single-member etcd of a control-plane instance; a dry run unless --confirm')
    .option('--cluster <name>', 'the name the cluster gets in etcd-ha')
    .option('--member <name>', "the control plane's node name, which is etcd's member name")
    .option('--instance <id>', 'the control-plane EC2 instance (tag it etcd-ha:cluster=<cluster>)')
    .option('--confirm <name>', 'the cluster name again: adopt it (without it: a dry run that changes nothing)')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.adopt)
    .option('--name <name>', 'the execution name (default: <cluster>-adopt-<UTC time>)')
    .option('--no-watch', 'start it and return')
    .addOption(outputOption())
    .action((opts: { cluster?: string; member?: string; instance?: string; confirm?: string; stateMachine?: string; name?: string; watch: boolean; output: OutputFormat }) =>
      run(() => {
        if (opts.cluster === undefined || opts.member === undefined || opts.instance === undefined) throw new UsageError('adopt needs --cluster NAME --member NODE --instance ID');
        return load<Adopt>('./adopt').awsAdopt(
          {
            cluster: opts.cluster,
            member: opts.member,
            instance: opts.instance,
            watch: opts.watch,
            format: opts.output,
            ...(opts.confirm !== undefined && { confirm: opts.confirm }),
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        );
      })(),
    );

  program
    .command('scale')
    .description('start ScaleCluster and follow it: grow onto the instances given (tagged for the cluster), or shrink by the newest members, one at a time')
    .option('--cluster <name>', 'the cluster')
    .requiredOption('--members <n>', 'the number of members wanted: odd, at most 7', wholeNumber('--members'))
    .option('--instance <id>', "a new member's EC2 instance, tagged etcd-ha:cluster=<cluster> (repeatable; one per member added)", (value: string, previous: string[] = []) => [...previous, value])
    .option('--allow-single-member', 'allow --members 1 (no fault tolerance)', false)
    .option('--state-machine <arn>', STATE_MACHINE_HELP.scale)
    .option('--name <name>', 'the execution name (default: <cluster>-scale-<UTC time>)')
    .option('--no-watch', 'start it and return')
    .addOption(outputOption())
    .action(
      (opts: { cluster?: string; members: number; instance?: string[]; allowSingleMember: boolean; stateMachine?: string; name?: string; watch: boolean; output: OutputFormat }) =>
        run(() => {
          if (opts.cluster === undefined) throw new UsageError('scale needs --cluster NAME');
          return load<Scale>('./scale').awsScale(
            {
              cluster: opts.cluster,
              members: opts.members,
              instances: opts.instance ?? [],
              allowSingleMember: opts.allowSingleMember,
              watch: opts.watch,
              format: opts.output,
              ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
              ...(opts.name !== undefined && { name: opts.name }),
            },
            output,
          );
        })(),
    );

  for (const action of ['pause', 'resume'] as const) {
    const command = program
      .command(action)
      .description(
        action === 'pause'
          ? 'pause automatic healing (EC2 rule, stop grace period, health probe) with the SetMaintenance workflow; `replace` still works'
          : 'resume automatic healing with the SetMaintenance workflow',
      )
      .option('--cluster <name>', 'the cluster');
    if (action === 'pause') command.option('--reason <text>', 'what is being done, and until when');
    else command.addOption(new Option('--reason <text>').hideHelp());
    command
      .option('--by <who>', 'who (default: user@host)')
      .option('--state-machine <arn>', STATE_MACHINE_HELP.maintenance)
      .option('--name <name>', 'the execution name (default: <cluster>-<action>-<UTC time>)')
      .option('--no-watch', 'start it and return')
      .addOption(outputOption())
      .action((opts: { cluster?: string; reason?: string; by?: string; stateMachine?: string; name?: string; watch: boolean; output: OutputFormat }) =>
        run(() => {
          if (opts.cluster === undefined) throw new UsageError(`${action} needs --cluster NAME`);
          if (action === 'pause' && opts.reason === undefined) throw new UsageError('pause needs --reason TEXT (what is being done, and until when)');
          if (action === 'resume' && opts.reason !== undefined) throw new UsageError('resume takes no --reason');
          return load<AwsMaintenance>('./aws-maintenance').setMaintenance(
            {
              cluster: opts.cluster,
              action,
              watch: opts.watch,
              format: opts.output,
              ...(opts.reason !== undefined && { reason: opts.reason }),
              ...(opts.by !== undefined && { by: opts.by }),
              ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
              ...(opts.name !== undefined && { name: opts.name }),
            },
            output,
          );
        })(),
      );
  }

  program
    .command('status')
    .description("a cluster's record and each member's health, asked by a CheckClusterHealth execution; exit 3 when not healthy")
    .option('--cluster <name>', 'the cluster')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.health)
    .addOption(outputOption())
    .action((opts: { cluster?: string; stateMachine?: string; output: OutputFormat }) =>
      run(() => {
        if (opts.cluster === undefined) throw new UsageError('status needs --cluster NAME');
        return load<AwsStatus>('./aws-status').status(
          { cluster: opts.cluster, format: opts.output, ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }) },
          output,
        );
      })(),
    );

  program
    .command('delete')
    .description(
      "DeleteCluster: stop etcd on the members (data dirs moved aside), delete the cluster's secrets and record under its lock; without --confirm a dry run that changes nothing",
    )
    .option('--cluster <name>', 'the cluster')
    .option('--confirm <name>', 'the cluster\'s name again: only then is anything deleted')
    .option('--by <who>', 'who deletes (default: user@host)')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.delete)
    .option('--name <name>', 'the execution name (default: <cluster>-delete-<UTC time>)')
    .addOption(outputOption())
    .action((opts: { cluster?: string; confirm?: string; by?: string; stateMachine?: string; name?: string; output: OutputFormat }) =>
      run(() => {
        if (opts.cluster === undefined) throw new UsageError('delete needs --cluster NAME (and --confirm NAME to delete; without it, a dry run)');
        return load<AwsDelete>('./aws-delete').deleteCluster(
          {
            cluster: opts.cluster,
            format: opts.output,
            ...(opts.confirm !== undefined && { confirm: opts.confirm }),
            ...(opts.by !== undefined && { by: opts.by }),
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        );
      })(),
    );

  // ---- BackupCluster ----
  program
    .command('backup')
    .description("BackupCluster for one cluster: a snapshot from a healthy member (followers first), checked against etcd's SHA-256, into the stack's bucket; prints where it is and its revision")
    .option('--cluster <name>', 'the cluster')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.backup)
    .option('--name <name>', 'the execution name (default: <cluster>-backup-<UTC time>)')
    .addOption(outputOption())
    .action((opts: { cluster?: string; stateMachine?: string; name?: string; output: OutputFormat }) =>
      run(() => {
        if (opts.cluster === undefined) throw new UsageError('backup needs --cluster NAME');
        return load<AwsBackup>('./aws-backup').backup(
          {
            cluster: opts.cluster,
            format: opts.output,
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        );
      })(),
    );

  // ---- DrillRestore ----
  program
    .command('drill')
    .description("DrillRestore for one cluster: its last good backup restored on one member host into a temporary etcd on loopback ports, its keys and revision compared with the backup's, then removed; exit 1 when the drill fails")
    .option('--cluster <name>', 'the cluster')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.drill)
    .option('--name <name>', 'the execution name (default: <cluster>-drill-<UTC time>)')
    .addOption(outputOption())
    .action((opts: { cluster?: string; stateMachine?: string; name?: string; output: OutputFormat }) =>
      run(() => {
        if (opts.cluster === undefined) throw new UsageError('drill needs --cluster NAME');
        return load<Drill>('./drill').drill(
          {
            cluster: opts.cluster,
            format: opts.output,
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        );
      })(),
    );

  // ---- RestoreCluster ----
  program
    .command('restore')
    .description(
      "RestoreCluster: a cluster that lost quorum brought back from its last good backup (or --snapshot) under its lock: etcd stopped on every member, data dirs moved aside, restored with a new cluster token; without --confirm a dry run that prints the plan",
    )
    .option('--cluster <name>', 'the cluster')
    .option('--snapshot <name>', "a backup's name (default: the last good one)")
    .option('--host <member=instance>', 'a replacement host for a member whose host is gone (repeatable)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--confirm <name>', "the cluster's name again: only then is anything changed")
    .option('--by <who>', 'who restores (default: user@host)')
    .option('--state-machine <arn>', STATE_MACHINE_HELP.restore)
    .option('--name <name>', 'the execution name (default: <cluster>-restore-<UTC time>)')
    .addOption(outputOption())
    .action((opts: { cluster?: string; snapshot?: string; host?: string[]; confirm?: string; by?: string; stateMachine?: string; name?: string; output: OutputFormat }) =>
      run(() => {
        if (opts.cluster === undefined) throw new UsageError('restore needs --cluster NAME (and --confirm NAME to restore; without it, a dry run)');
        return load<AwsRestore>('./aws-restore').restore(
          {
            cluster: opts.cluster,
            format: opts.output,
            ...(opts.snapshot !== undefined && { snapshot: opts.snapshot }),
            ...(opts.host !== undefined && { hosts: opts.host }),
            ...(opts.confirm !== undefined && { confirm: opts.confirm }),
            ...(opts.by !== undefined && { by: opts.by }),
            ...(opts.stateMachine !== undefined && { stateMachineArn: opts.stateMachine }),
            ...(opts.name !== undefined && { name: opts.name }),
          },
          output,
        );
      })(),
    );

  program
    .command('watch')
    .description('follow an execution: a line per state, then its outcome (exit 0 when it succeeded, 1 when it failed, timed out or was aborted)')
    .argument('<EXECUTION_ARN>', 'the execution')
    .addOption(outputOption())
    .action((executionArn: string, opts: { output: OutputFormat }) =>
      run(() => load<AwsWatch>('./aws-watch').watch(executionArn, output, { format: opts.output }))(),
    );

  return program;
}

export async function main(argv: string[], output: Output = consoleOutput): Promise<number> {
  const exit = { code: EXIT.done as number };
  const program = buildProgram(output, exit);
  try {
    if (argv.length === 0) {
      program.outputHelp({ error: true });
      return EXIT.usage;
    }
    await program.parseAsync(argv, { from: 'user' });
    return exit.code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help, `help` and --version end with exit code 0; a group without its command (`etcd-ha local`) prints its
      // help as an error, and commander's own refusals (unknown option, missing argument) are usage errors.
      return error.exitCode === 0 ? EXIT.done : EXIT.usage;
    }
    if (error instanceof UsageError || error instanceof SpecValidationError) {
      output.err(`etcd-ha: ${error.message}`);
      return EXIT.usage;
    }
    output.err(`etcd-ha: ${(error as Error).stack ?? String(error)}`);
    return EXIT.failed;
  }
}
