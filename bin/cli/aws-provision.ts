// `etcd-ha provision --spec FILE`: checks the spec here first (a bad spec starts nothing), then starts
// the deployed ProvisionCluster state machine with it and follows the execution like `etcd-ha watch`.
import { readFileSync } from 'node:fs';
import { parseClusterSpec } from '../../lambdas/core/spec';
import { SpecValidationError } from '../../lambdas/core/errors';
import { WORKFLOWS, defaultExecutionName, startAndFollow, type StartDeps } from './aws-start';
import { UsageError, type Output, type OutputFormat } from './output';

export const STATE_MACHINE_ARN_ENV = WORKFLOWS.provision.arnEnv;
export const STATE_MACHINE_ARN_OUTPUT = WORKFLOWS.provision.stackOutput;

export interface ProvisionOptions {
  readonly specFile: string;
  /** @default - the ETCD_HA_PROVISION_STATE_MACHINE_ARN environment variable */
  readonly stateMachineArn?: string;
  /** @default - `<clusterName>-<UTC timestamp>`, e.g. demo-20250101T120000Z */
  readonly name?: string;
  /** Follow the execution until it ends. */
  readonly watch: boolean;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

export type ProvisionDeps = StartDeps;

export async function provision(options: ProvisionOptions, output: Output, deps: ProvisionDeps = {}): Promise<number> {
  const raw = readSpecFile(options.specFile);
  let clusterName: string;
  try {
    clusterName = parseClusterSpec(raw).clusterName;
  } catch (error) {
    if (error instanceof SpecValidationError) throw new SpecValidationError(`cluster spec ${options.specFile} (nothing was started)`, error.problems);
    throw error;
  }
  return startAndFollow(
    {
      workflow: WORKFLOWS.provision,
      ...(options.stateMachineArn !== undefined && { stateMachineArn: options.stateMachineArn }),
      name: options.name ?? defaultExecutionName(clusterName, (deps.now ?? (() => new Date()))()),
      input: raw,
      subject: `cluster "${clusterName}"`,
      watch: options.watch,
      ...(options.format !== undefined && { format: options.format }),
    },
    output,
    deps,
  );
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

export { checkExecutionName, defaultExecutionName } from './aws-start';
