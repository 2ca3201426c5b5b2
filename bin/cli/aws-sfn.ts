// What the AWS commands need of Step Functions, behind a small interface so that the watch loop can be
// tested without AWS; the SDK implementation takes its region from the ARN and everything else
// (credentials, AWS_ENDPOINT_URL) from the usual AWS settings.
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { UsageError } from './output';

export interface HistoryPage {
  readonly events: readonly HistoryEvent[];
  readonly nextToken?: string;
}

export interface ExecutionsApi {
  startExecution(input: { stateMachineArn: string; name: string; input: string }): Promise<{ executionArn: string }>;
  describeExecution(executionArn: string): Promise<DescribeExecutionOutput>;
  /** One page of GetExecutionHistory, newest events first. */
  historyPage(executionArn: string, nextToken?: string): Promise<HistoryPage>;
  close(): void;
}

/** GetExecutionHistory's largest page. */
const HISTORY_PAGE_SIZE = 1000;

export function sfnExecutionsApi(region: string): ExecutionsApi {
  const client = new SFNClient({ region });
  return {
    async startExecution(input) {
      const answer = await client.send(new StartExecutionCommand(input));
      if (!answer.executionArn) throw new Error('StartExecution returned no executionArn');
      return { executionArn: answer.executionArn };
    },
    describeExecution: (executionArn) => client.send(new DescribeExecutionCommand({ executionArn })),
    async historyPage(executionArn, nextToken) {
      const answer = await client.send(
        new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: HISTORY_PAGE_SIZE, includeExecutionData: true, ...(nextToken && { nextToken }) }),
      );
      return { events: answer.events ?? [], ...(answer.nextToken && { nextToken: answer.nextToken }) };
    },
    close: () => client.destroy(),
  };
}

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
