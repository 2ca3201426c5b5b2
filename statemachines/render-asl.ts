// Renders a workflow definition to plain ASL for the local interpreter (and for asl-validator):
// the same chain `lib/` deploys, with placeholder function ARNs that name the step.
import { App, Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { LOCAL_FUNCTION_ARN_PREFIX, type AslDefinition } from '../lambdas/local-runner/asl';

export { LOCAL_FUNCTION_ARN_PREFIX, allStates, stepOfState, type AslDefinition, type AslState } from '../lambdas/local-runner/asl';

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
