// Reading a synthesized EtcdHaStack template in the infra tests: logical IDs, the inline-policy statements of
// a role, and a state machine's definition as the local runner would see it.
import { type CfnElement, Stack } from 'aws-cdk-lib';
import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { LOCAL_FUNCTION_ARN_PREFIX, type AslDefinition } from '../../statemachines/render-asl';

export const logicalId = (construct: IConstruct): string => Stack.of(construct).getLogicalId(construct.node.defaultChild as CfnElement);

export interface Statement {
  readonly Sid?: string;
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export const actionsOf = (s: Statement): string[] => (Array.isArray(s.Action) ? s.Action : [s.Action]);

/**
 * The statements of the template's policies attached to a role (by the role's logical ID): its inline policies and
 * the managed ones the template attaches to it alone (CDK's overflow of an inline policy past IAM's size limit).
 */
export function statementsOfRole(template: Template, role: string): Statement[] {
  return [...Object.values(template.findResources('AWS::IAM::Policy')), ...Object.values(template.findResources('AWS::IAM::ManagedPolicy'))]
    .filter((p) => ((p.Properties.Roles ?? []) as Array<{ Ref: string }>).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

/**
 * The DefinitionString of the state machine `machineId`, with each function ARN (Fn::GetAtt of a function
 * in `stepOfFunction`) replaced by render-asl's placeholder for its step, and the partition by "aws".
 */
export function deployedDefinition(template: Template, machineId: string, stepOfFunction: ReadonlyMap<string, string>): AslDefinition {
  const machine = template.findResources('AWS::StepFunctions::StateMachine')[machineId];
  if (machine === undefined) throw new Error(`no state machine ${machineId} in the template`);
  const definition = machine.Properties.DefinitionString as { 'Fn::Join': [string, unknown[]] } | string;
  if (typeof definition === 'string') return JSON.parse(definition) as AslDefinition;
  const [separator, parts] = definition['Fn::Join'];
  const text = parts
    .map((part) => {
      if (typeof part === 'string') return part;
      const token = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (token.Ref === 'AWS::Partition') return 'aws';
      const step = token['Fn::GetAtt'] && token['Fn::GetAtt'][1] === 'Arn' ? stepOfFunction.get(token['Fn::GetAtt'][0]) : undefined;
      if (step === undefined) throw new Error(`unexpected token in the definition: ${JSON.stringify(part)}`);
      return `${LOCAL_FUNCTION_ARN_PREFIX}${step}`;
    })
    .join(separator);
  return JSON.parse(text) as AslDefinition;
}
