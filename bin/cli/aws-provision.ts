// `etcd-ha provision --spec FILE`: checks the spec here first (a bad spec starts nothing), then starts
// the deployed ProvisionCluster state machine with it and follows the execution like `etcd-ha watch`.
import { readFileSync } from 'node:fs';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { SpecValidationError } from '../../lambdas/core/errors';
import { describeAwsError, executionConsoleUrl, isAwsError, parseStatesArn, sfnExecutionsApi, type ExecutionsApi } from './aws-sfn';
import { followExecution, type WatchOptions } from './aws-watch';
import { UsageError, type Output } from './output';

export const STATE_MACHINE_ARN_ENV = 'ETCD_HA_PROVISION_STATE_MACHINE_ARN';
export const STATE_MACHINE_ARN_OUTPUT = 'ProvisionClusterStateMachineArn';

export interface ProvisionOptions {
  readonly specFile: string;
  /** @default - the ETCD_HA_PROVISION_STATE_MACHINE_ARN environment variable */
  readonly stateMachineArn?: string;
  /** @default - `<clusterName>-<UTC timestamp>`, e.g. demo-20250101T120000Z */
  readonly name?: string;
  /** Follow the execution until it ends. */
  readonly watch: boolean;
}

export interface ProvisionDeps {
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => Date;
  readonly api?: (region: string) => ExecutionsApi;
  readonly watch?: WatchOptions;
}

export async function provision(options: ProvisionOptions, output: Output, deps: ProvisionDeps = {}): Promise<number> {
  const raw = readSpecFile(options.specFile);
  let clusterName: string;
  try {
    clusterName = parseClusterSpec(raw).clusterName;
  } catch (error) {
    if (error instanceof SpecValidationError) throw new SpecValidationError(`cluster spec ${options.specFile} (nothing was started)`, error.problems);
    throw error;
  }
  const env = deps.env ?? process.env;
  const { arn, source } = stateMachineArn(options.stateMachineArn, env);
  const { region } = parseStatesArn(arn, 'stateMachine', source);
  const name = options.name ?? defaultExecutionName(clusterName, (deps.now ?? (() => new Date()))());
  checkExecutionName(name);

  const api = (deps.api ?? sfnExecutionsApi)(region);
  try {
    let executionArn: string;
    try {
      ({ executionArn } = await api.startExecution({ stateMachineArn: arn, name, input: JSON.stringify(raw) }));
    } catch (error) {
      if (!isAwsError(error)) throw error;
      output.err(`etcd-ha: ${describeAwsError(error, 'StartExecution')}`);
      return 1;
    }
    output.out(`Started ProvisionCluster for cluster "${clusterName}": execution ${name}`);
    output.out(`  ARN:     ${executionArn}`);
    output.out(`  Console: ${executionConsoleUrl(executionArn)}`);
    if (!options.watch) {
      output.out(`Follow it with: npx etcd-ha watch ${executionArn}`);
      return 0;
    }
    output.out('Following it (Ctrl-C stops watching, not the execution):');
    try {
      return await followExecution(api, executionArn, output, deps.watch);
    } catch (error) {
      if (!isAwsError(error)) throw error;
      output.err(`etcd-ha: ${describeAwsError(error, 'watching the execution')}`);
      output.err(`The execution may still be running: npx etcd-ha watch ${executionArn}`);
      return 1;
    }
  } finally {
    api.close();
  }
}

/** The spec as written in the file (JSON): it is the execution's input, and Validate Spec fills the defaults. */
function readSpecFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the spec file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the spec file ${path} is not JSON: ${(error as Error).message}`);
  }
}

function stateMachineArn(option: string | undefined, env: NodeJS.ProcessEnv): { arn: string; source: string } {
  if (option) return { arn: option, source: '--state-machine' };
  const fromEnv = env[STATE_MACHINE_ARN_ENV];
  if (fromEnv) return { arn: fromEnv, source: STATE_MACHINE_ARN_ENV };
  throw new UsageError(
    `which ProvisionCluster state machine? Pass --state-machine ARN or set ${STATE_MACHINE_ARN_ENV}.\n` +
      `  The deployed stack has it as the output ${STATE_MACHINE_ARN_OUTPUT}:\n` +
      `  aws cloudformation describe-stacks --stack-name EtcdHa --query "Stacks[0].Outputs[?OutputKey=='${STATE_MACHINE_ARN_OUTPUT}'].OutputValue" --output text`,
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
