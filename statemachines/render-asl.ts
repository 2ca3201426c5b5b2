// Renders a workflow definition to plain ASL for the local interpreter (and for asl-validator):
// the same chain `lib/` deploys, with placeholder function ARNs that name the step.
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';

export const LOCAL_FUNCTION_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:etcd-ha-local-';

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly ItemProcessor?: AslDefinition;
  readonly Iterator?: AslDefinition;
  readonly Branches?: AslDefinition[];
  readonly [key: string]: unknown;
}

export function renderAsl<Step extends string>(
  steps: readonly Step[],
  build: (scope: Construct, functions: Record<Step, lambda.IFunction>) => sfn.IChainable,
): AslDefinition {
  const stack = new Stack(new App(), 'EtcdHaLocal', { env: { account: '000000000000', region: 'us-east-1' } });
  const functions = Object.fromEntries(
    steps.map((step) => [step, lambda.Function.fromFunctionArn(stack, `Fn-${step}`, `${LOCAL_FUNCTION_ARN_PREFIX}${step}`)]),
  ) as Record<Step, lambda.IFunction>;
  const chain = build(stack, functions);
  const graph = new sfn.StateGraph(chain.startState, 'local').toGraphJson();
  return resolvePartition(stack.resolve(graph)) as AslDefinition;
}

/** CDK leaves `Fn::Join` with `Ref: AWS::Partition` in service ARNs; locally the partition is "aws". */
function resolvePartition(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolvePartition);
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if ('Ref' in record && record.Ref === 'AWS::Partition') return 'aws';
  if ('Fn::Join' in record) {
    const [separator, parts] = record['Fn::Join'] as [string, unknown[]];
    return parts.map(resolvePartition).join(separator);
  }
  return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, resolvePartition(v)]));
}

/** The step a Task state invokes, from its placeholder ARN; undefined for other states. */
export function stepOfState(state: AslState): string | undefined {
  return typeof state.Resource === 'string' && state.Resource.startsWith(LOCAL_FUNCTION_ARN_PREFIX)
    ? state.Resource.slice(LOCAL_FUNCTION_ARN_PREFIX.length)
    : undefined;
}

/** Every state of a definition, nested Map/Parallel states included, by name. */
export function allStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...[state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter((d): d is AslDefinition => d !== undefined).flatMap(allStates),
  ]);
}
