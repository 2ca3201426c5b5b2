// Starting one of the deployed workflows and following it: shared by `provision` and `replace`.
import { describeAwsError, executionConsoleUrl, isAwsError, parseStatesArn, sfnExecutionsApi, type ExecutionsApi } from './aws-sfn';
import { StepFunctionsWorkflowRunner } from '../../lambdas/workflow-runner/step-functions';
import { sfnStateMachinesApi, stateMachinesTagged, type StateMachinesApi } from '../../lambdas/workflow-runner/find-state-machine';
import { WORKFLOW_TAG, WORKFLOW_TAG_VALUES } from '../../lambdas/catalog/contracts';
import type { WorkflowName } from '../../lambdas/workflow-runner/port';
import { followExecution, type WatchOptions } from './aws-watch';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';

export interface DeployedWorkflow {
  readonly workflow: WorkflowName;
  readonly title: string;
  /** Environment variable that names the state machine when no option does. */
  readonly arnEnv: string;
  /** The stack output that holds its ARN. */
  readonly stackOutput: string;
  /** The value of its state machine's `etcd-ha:workflow` tag, by which it is found when nothing names it. */
  readonly tag: string;
}

export const WORKFLOWS = {
  provision: {
    workflow: 'provision-cluster',
    title: 'ProvisionCluster',
    arnEnv: 'ETCD_HA_PROVISION_STATE_MACHINE_ARN',
    stackOutput: 'ProvisionClusterStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.provisionCluster,
  },
  replace: {
    workflow: 'replace-member',
    title: 'ReplaceMember',
    arnEnv: 'ETCD_HA_REPLACE_STATE_MACHINE_ARN',
    stackOutput: 'ReplaceMemberStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.replaceMember,
  },
  maintenance: {
    workflow: 'set-maintenance',
    title: 'SetMaintenance',
    arnEnv: 'ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN',
    stackOutput: 'SetMaintenanceStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.setMaintenance,
  },
  health: {
    workflow: 'check-cluster-health',
    title: 'CheckClusterHealth',
    arnEnv: 'ETCD_HA_HEALTH_STATE_MACHINE_ARN',
    stackOutput: 'CheckClusterHealthStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.checkClusterHealth,
  },
  delete: {
    workflow: 'delete-cluster',
    title: 'DeleteCluster',
    arnEnv: 'ETCD_HA_DELETE_STATE_MACHINE_ARN',
    stackOutput: 'DeleteClusterStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.deleteCluster,
  },
  backup: {
    workflow: 'backup-cluster',
    title: 'BackupCluster',
    arnEnv: 'ETCD_HA_BACKUP_STATE_MACHINE_ARN',
    stackOutput: 'BackupClusterStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.backupCluster,
  },
  drill: {
    workflow: 'drill-restore',
    title: 'DrillRestore',
    arnEnv: 'ETCD_HA_DRILL_STATE_MACHINE_ARN',
    stackOutput: 'DrillRestoreStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.drillRestore,
  },
  restore: {
    workflow: 'restore-cluster',
    title: 'RestoreCluster',
    arnEnv: 'ETCD_HA_RESTORE_STATE_MACHINE_ARN',
    stackOutput: 'RestoreClusterStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.restoreCluster,
  },
  scale: {
    workflow: 'scale-cluster',
    title: 'ScaleCluster',
    arnEnv: 'ETCD_HA_SCALE_STATE_MACHINE_ARN',
    stackOutput: 'ScaleClusterStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.scaleCluster,
  },
  adopt: {
    workflow: 'adopt-cluster',
    title: 'AdoptCluster',
    arnEnv: 'ETCD_HA_ADOPT_STATE_MACHINE_ARN',
    stackOutput: 'AdoptClusterStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.adoptCluster,
  },
  connect: {
    workflow: 'connect-control-plane',
    title: 'ConnectControlPlane',
    arnEnv: 'ETCD_HA_CONNECT_STATE_MACHINE_ARN',
    stackOutput: 'ConnectControlPlaneStateMachineArn',
    tag: WORKFLOW_TAG_VALUES.connectControlPlane,
  },
} as const satisfies Record<string, DeployedWorkflow>;

export interface StartDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  readonly api?: (region: string) => ExecutionsApi;
  /** Lists the state machines and their tags when nothing names the state machine. @default Step Functions */
  readonly stateMachines?: (region: string | undefined) => StateMachinesApi;
  readonly watch?: WatchOptions;
}

export interface StartRequest {
  readonly workflow: DeployedWorkflow;
  readonly stateMachineArn?: string;
  readonly name: string;
  readonly input: unknown;
  /** What the execution is about, for the first line ("cluster \"demo\""). */
  readonly subject: string;
  readonly watch: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export async function startAndFollow(request: StartRequest, given: Output, deps: StartDeps = {}): Promise<number> {
  const format = request.format ?? 'text';
  const output = progressOutput(given, format);
  checkExecutionName(request.name);
  const found = await findStateMachine(request.workflow, request.stateMachineArn, deps, output);
  if (typeof found === 'number') return found;
  const { arn, region } = found;
  const api = (deps.api ?? sfnExecutionsApi)(region);
  try {
    let executionArn: string;
    try {
      const runner = new StepFunctionsWorkflowRunner(api, () => arn);
      ({ executionArn } = await runner.start({ workflow: request.workflow.workflow, name: request.name, input: request.input }));
    } catch (error) {
      if (!isAwsError(error)) throw error;
      output.err(`etcd-ha: ${describeAwsError(error, 'StartExecution')}`);
      return EXIT.failed;
    }
    output.out(`Started ${request.workflow.title} for ${request.subject}: execution ${request.name}`);
    output.out(`  ARN:     ${executionArn}`);
    output.out(`  Console: ${executionConsoleUrl(executionArn)}`);
    if (!request.watch) {
      output.out(`Follow it with: npx etcd-ha watch ${executionArn}`);
      if (format === 'json') printJson(given, { workflow: request.workflow.title, executionArn, status: 'RUNNING' });
      return EXIT.done;
    }
    output.out('Following it (Ctrl-C stops watching, not the execution):');
    try {
      return await followExecution(api, executionArn, given, { ...deps.watch, format });
    } catch (error) {
      if (!isAwsError(error)) throw error;
      output.err(`etcd-ha: ${describeAwsError(error, 'watching the execution')}`);
      output.err(`The execution may still be running: npx etcd-ha watch ${executionArn}`);
      return EXIT.failed;
    }
  } finally {
    api.close();
  }
}

/**
 * The workflow's state machine: the one `--state-machine` names, else the one its environment variable names, else
 * the only one in the account and region tagged `etcd-ha:workflow=<workflow>`. None or several so tagged is a usage
 * error that names the tag and the matches; an AWS call that fails says so and returns exit code 1.
 */
export async function findStateMachine(
  workflow: DeployedWorkflow,
  option: string | undefined,
  deps: Pick<StartDeps, 'env' | 'stateMachines'>,
  output: Output,
): Promise<{ arn: string; region: string } | number> {
  const env = deps.env ?? process.env;
  const named = option ? { arn: option, source: '--state-machine' } : env[workflow.arnEnv] ? { arn: env[workflow.arnEnv]!, source: workflow.arnEnv } : undefined;
  if (named) return { arn: named.arn, region: parseStatesArn(named.arn, 'stateMachine', named.source).region };

  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
  const api = (deps.stateMachines ?? sfnStateMachinesApi)(region);
  let matching: string[];
  try {
    matching = await stateMachinesTagged(api, WORKFLOW_TAG, workflow.tag);
  } catch (error) {
    if (/region is missing/i.test((error as Error)?.message ?? '')) {
      throw new UsageError(`no AWS region to look for the ${workflow.title} state machine in: set AWS_REGION, or pass --state-machine ARN`);
    }
    if (!isAwsError(error)) throw error;
    output.err(`etcd-ha: ${describeAwsError(error, `looking for the ${workflow.title} state machine (ListStateMachines, ListTagsForResource)`)}`);
    output.err(`  Or name it: --state-machine ARN, or ${workflow.arnEnv}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
  const tag = `${WORKFLOW_TAG}=${workflow.tag}`;
  const where = region ? ` in ${region}` : '';
  if (matching.length === 1) return { arn: matching[0]!, region: parseStatesArn(matching[0]!, 'stateMachine', `the state machine tagged ${tag}`).region };
  if (matching.length === 0) {
    throw new UsageError(
      `which ${workflow.title} state machine? None${where} carries the tag ${tag}.\n` +
        `  Pass --state-machine ARN or set ${workflow.arnEnv}.\n` +
        `  The deployed stack has it as the output ${workflow.stackOutput}:\n` +
        `  aws cloudformation describe-stacks --stack-name EtcdHa --query "Stacks[0].Outputs[?OutputKey=='${workflow.stackOutput}'].OutputValue" --output text`,
    );
  }
  throw new UsageError(
    `which ${workflow.title} state machine? ${matching.length} state machines${where} carry the tag ${tag}:\n` +
      matching.map((arn) => `  ${arn}\n`).join('') +
      `  Pass --state-machine ARN or set ${workflow.arnEnv} to say which.`,
  );
}

/** `<clusterName>-<UTC timestamp>`: at most 63 + 17 = 80 characters, Step Functions' limit. */
export function defaultExecutionName(clusterName: string, now: Date): string {
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  return `${clusterName}-${stamp}`;
}

// Step Functions execution names: 1-80 characters, none of whitespace, < > { } [ ] ? * " # % \ ^ | ~ ` $ & , ; : /
// or control characters.
const FORBIDDEN_IN_NAME = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;

export function checkExecutionName(name: string): void {
  if (name.length < 1 || name.length > 80 || FORBIDDEN_IN_NAME.test(name)) {
    throw new UsageError(
      `--name must be 1-80 characters without whitespace or any of < > { } [ ] ? * " # % \\ ^ | ~ \` $ & , ; : /, got "${name}"`,
    );
  }
}
