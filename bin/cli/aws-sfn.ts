// Step Functions ARNs, console links and AWS errors as the command line says them. The API itself and the
// runner over it are in lambdas/workflow-runner/step-functions.ts.
import { UsageError } from './output';

export { sfnExecutionsApi, type ExecutionsApi, type HistoryPage } from '../../lambdas/workflow-runner/step-functions';

export interface StatesArn {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
  readonly resourceType: 'stateMachine' | 'execution';
}

const STATES_ARN = /^arn:(aws[a-z-]*):states:([a-z0-9-]+):(\d{12}):(stateMachine|execution):[^:\s]+(:[^:\s]+)?$/;

/** Checks an ARN names a Step Functions resource of `expected` type; the error says what was expected. */
export function parseStatesArn(arn: string, expected: StatesArn['resourceType'], what: string): StatesArn {
  const match = STATES_ARN.exec(arn);
  if (!match || match[4] !== expected || (expected === 'execution' && match[5] === undefined)) {
    const example =
      expected === 'execution'
        ? 'arn:aws:states:us-east-1:123456789012:execution:ProvisionCluster:demo-20250101T120000Z'
        : 'arn:aws:states:us-east-1:123456789012:stateMachine:ProvisionCluster';
    throw new UsageError(`${what} must be a Step Functions ${expected} ARN such as ${example}, got "${arn}"`);
  }
  return { partition: match[1]!, region: match[2]!, account: match[3]!, resourceType: expected };
}

/** The execution's page in the Step Functions console. */
export function executionConsoleUrl(executionArn: string): string {
  const { partition, region } = parseStatesArn(executionArn, 'execution', 'execution ARN');
  const host =
    partition === 'aws-cn'
      ? `${region}.console.amazonaws.cn`
      : partition === 'aws-us-gov'
        ? 'console.amazonaws-us-gov.com'
        : `${region}.console.aws.amazon.com`;
  return `https://${host}/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

/** An AWS call that failed, said in one line with what to check, instead of a stack trace. */
export function describeAwsError(error: unknown, action: string): string {
  const e = error as { name?: string; message?: string; $metadata?: unknown };
  const name = e?.name ?? 'Error';
  const hints: Record<string, string> = {
    CredentialsProviderError: 'no AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY',
    StateMachineDoesNotExist: 'check the state machine ARN (stack output ProvisionClusterStateMachineArn) and its region',
    ExecutionDoesNotExist: 'check the execution ARN and its region',
    ExecutionAlreadyExists: 'an execution with this name already ran on this state machine: choose another --name',
    InvalidName: 'execution names are 1-80 letters, digits, "-" and "_"',
    AccessDeniedException: 'the AWS identity in use lacks the Step Functions permission for this call',
  };
  const hint = hints[name];
  return `${action} failed: ${name}: ${e?.message ?? String(error)}${hint ? `\n  ${hint}` : ''}`;
}

export function isAwsError(error: unknown): boolean {
  if (error === null || typeof error !== 'object') return false;
  const e = error as { $metadata?: unknown; name?: string };
  return e.$metadata !== undefined || e.name === 'CredentialsProviderError';
}
