// Starting one of the deployed workflows and following it: shared by `provision` and `replace`.
import { describeAwsError, executionConsoleUrl, isAwsError, parseStatesArn, sfnExecutionsApi, type ExecutionsApi } from './aws-sfn';
import { StepFunctionsWorkflowRunner } from '../../lambdas/workflow-runner/step-functions';
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
}

export const WORKFLOWS = {
  provision: { workflow: 'provision-cluster', title: 'ProvisionCluster', arnEnv: 'ETCD_HA_PROVISION_STATE_MACHINE_ARN', stackOutput: 'ProvisionClusterStateMachineArn' },
  replace: { workflow: 'replace-member', title: 'ReplaceMember', arnEnv: 'ETCD_HA_REPLACE_STATE_MACHINE_ARN', stackOutput: 'ReplaceMemberStateMachineArn' },
  maintenance: { workflow: 'set-maintenance', title: 'SetMaintenance', arnEnv: 'ETCD_HA_MAINTENANCE_STATE_MACHINE_ARN', stackOutput: 'SetMaintenanceStateMachineArn' },
} as const satisfies Record<string, DeployedWorkflow>;

export interface StartDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  readonly api?: (region: string) => ExecutionsApi;
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
  const { arn, source } = stateMachineArn(request.workflow, request.stateMachineArn, deps.env ?? process.env);
  const { region } = parseStatesArn(arn, 'stateMachine', source);
  checkExecutionName(request.name);
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

function stateMachineArn(workflow: DeployedWorkflow, option: string | undefined, env: NodeJS.ProcessEnv): { arn: string; source: string } {
  if (option) return { arn: option, source: '--state-machine' };
  const fromEnv = env[workflow.arnEnv];
  if (fromEnv) return { arn: fromEnv, source: workflow.arnEnv };
  throw new UsageError(
    `which ${workflow.title} state machine? Pass --state-machine ARN or set ${workflow.arnEnv}.\n` +
      `  The deployed stack has it as the output ${workflow.stackOutput}:\n` +
      `  aws cloudformation describe-stacks --stack-name EtcdHa --query "Stacks[0].Outputs[?OutputKey=='${workflow.stackOutput}'].OutputValue" --output text`,
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
