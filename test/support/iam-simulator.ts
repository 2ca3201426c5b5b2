// Evaluating the synthesized IAM policies as AWS would (moto does not evaluate IAM conditions): the policies
// attached to a role or a managed policy of a template, their CloudFormation intrinsics resolved to concrete ARNs
// in one made-up account, then one request at a time through @cloud-copilot/iam-simulate. A test names the action,
// the resource ARN and the request's context keys (resource tags, ec2:SourceInstanceARN, iam:PassedToService, …).
import { runSimulation, runUnsafeSimulation } from '@cloud-copilot/iam-simulate';
import type { Template } from 'aws-cdk-lib/assertions';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

interface PolicyDocument {
  readonly Version?: string;
  readonly Statement: unknown[];
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** The concrete ARN (or name) CloudFormation would give a resource of the template, in ACCOUNT and REGION. */
function physical(resources: Resources, id: string, attribute: 'Ref' | string): string {
  const resource = resources[id];
  if (!resource) throw new Error(`no resource ${id} in the template`);
  const name = id.toLowerCase();
  const arnOf: Record<string, () => string> = {
    'AWS::KMS::Key': () => `arn:aws:kms:${REGION}:${ACCOUNT}:key/${name}`,
    'AWS::DynamoDB::Table': () => `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${name}`,
    'AWS::S3::Bucket': () => `arn:aws:s3:::${name}`,
    'AWS::StepFunctions::StateMachine': () => `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${id}`,
    'AWS::Lambda::Function': () => `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${id}`,
    'AWS::IAM::Role': () => `arn:aws:iam::${ACCOUNT}:role/${id}`,
    'AWS::IAM::ManagedPolicy': () => `arn:aws:iam::${ACCOUNT}:policy/${id}`,
    'AWS::Logs::LogGroup': () => `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:${id}:*`,
    'AWS::SNS::Topic': () => `arn:aws:sns:${REGION}:${ACCOUNT}:${id}`,
    'AWS::SQS::Queue': () => `arn:aws:sqs:${REGION}:${ACCOUNT}:${id}`,
    'AWS::Events::Rule': () => `arn:aws:events:${REGION}:${ACCOUNT}:rule/${id}`,
    'AWS::Route53::HostedZone': () => `arn:aws:route53:::hostedzone/${id}`,
  };
  const arn = arnOf[resource.Type]?.() ?? `arn:aws:cloudformation:${REGION}:${ACCOUNT}:${resource.Type}/${id}`;
  if (attribute === 'Arn') return arn;
  if (attribute !== 'Ref') return `${arn}#${attribute}`;
  // Ref gives the name (or ID) for these, the ARN for the others.
  const refIsName = ['AWS::KMS::Key', 'AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Lambda::Function', 'AWS::IAM::Role', 'AWS::Logs::LogGroup'];
  if (!refIsName.includes(resource.Type)) return arn;
  return resource.Type === 'AWS::IAM::Role' || resource.Type === 'AWS::Lambda::Function' || resource.Type === 'AWS::Logs::LogGroup' ? id : name;
}

const PSEUDO: Record<string, string> = {
  'AWS::Partition': 'aws',
  'AWS::Region': REGION,
  'AWS::AccountId': ACCOUNT,
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::StackName': 'EtcdHa',
};

/** The value with every intrinsic (Ref, Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select, Fn::Split) resolved. */
export function resolveIntrinsics(value: unknown, resources: Resources): unknown {
  if (Array.isArray(value)) return value.map((v) => resolveIntrinsics(v, resources));
  if (value === null || typeof value !== 'object') return value;
  const o = value as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const [key] = keys as [string];
    const arg = o[key];
    switch (key) {
      case 'Ref':
        return PSEUDO[arg as string] ?? physical(resources, arg as string, 'Ref');
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(arg) ? (arg as [string, string]) : (String(arg).split('.') as [string, string]);
        return physical(resources, id, attribute);
      }
      case 'Fn::Join': {
        const [separator, parts] = arg as [string, unknown[]];
        return (resolveIntrinsics(parts, resources) as unknown[]).join(separator);
      }
      case 'Fn::Sub': {
        const [text, vars] = typeof arg === 'string' ? [arg, {}] : (arg as [string, Record<string, unknown>]);
        return text.replace(/\$\{([^}!]+)\}/g, (_, name: string) => {
          if (name in vars) return String(resolveIntrinsics(vars[name], resources));
          if (PSEUDO[name]) return PSEUDO[name]!;
          const [id, attribute] = name.split('.') as [string, string | undefined];
          return physical(resources, id, attribute ?? 'Ref');
        });
      }
      case 'Fn::Select': {
        const [index, list] = arg as [number, unknown];
        return (resolveIntrinsics(list, resources) as unknown[])[Number(index)];
      }
      case 'Fn::Split': {
        const [separator, text] = arg as [string, unknown];
        return String(resolveIntrinsics(text, resources)).split(separator);
      }
    }
  }
  return Object.fromEntries(keys.map((k) => [k, resolveIntrinsics(o[k], resources)]));
}

/** Every policy document that applies to role `roleId`: inline policies (AWS::IAM::Policy and the role's own) and the template's managed policies attached to it. */
export function policiesOfRole(template: Template, roleId: string): PolicyDocument[] {
  const resources = template.toJSON().Resources as Resources;
  const role = resources[roleId];
  if (!role || role.Type !== 'AWS::IAM::Role') throw new Error(`${roleId} is no AWS::IAM::Role of the template`);
  const refersToRole = (list: unknown) => Array.isArray(list) && list.some((r) => (r as { Ref?: string }).Ref === roleId);
  const documents: unknown[] = [
    ...((role.Properties?.Policies as Array<{ PolicyDocument: unknown }> | undefined) ?? []).map((p) => p.PolicyDocument),
    ...Object.values(resources)
      .filter((r) => (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') && refersToRole(r.Properties?.Roles))
      .map((r) => r.Properties!.PolicyDocument),
    ...((role.Properties?.ManagedPolicyArns as unknown[] | undefined) ?? [])
      .filter((arn): arn is { Ref: string } => typeof arn === 'object' && arn !== null && typeof (arn as { Ref?: unknown }).Ref === 'string' && resources[(arn as { Ref: string }).Ref]?.Type === 'AWS::IAM::ManagedPolicy')
      .map((arn) => resources[arn.Ref]!.Properties!.PolicyDocument),
  ];
  return documents.map((d) => resolveIntrinsics(d, resources) as PolicyDocument);
}

/** The document of a managed policy of the template (e.g. the member host policy), resolved. */
export function managedPolicy(template: Template, policyId: string): PolicyDocument {
  const resources = template.toJSON().Resources as Resources;
  const policy = resources[policyId];
  if (!policy || policy.Type !== 'AWS::IAM::ManagedPolicy') throw new Error(`${policyId} is no AWS::IAM::ManagedPolicy of the template`);
  return resolveIntrinsics(policy.Properties!.PolicyDocument, resources) as PolicyDocument;
}

export interface SimulatedRequest {
  readonly action: string;
  readonly resource: string;
  /** Context keys as AWS sets them for the request (e.g. `aws:ResourceTag/etcd-ha:cluster`). */
  readonly context?: Record<string, string | string[]>;
  /** @default a role of ACCOUNT */
  readonly principal?: string;
  /** The resource's own policy, e.g. a KMS key policy (KMS denies every call its key policy does not let IAM decide). @default none */
  readonly resourcePolicy?: PolicyDocument;
}

/**
 * Context keys whose name ends in a variable after a colon (kms:EncryptionContext:<key>): runSimulation's input check
 * knows only "/" variables (aws:ResourceTag/<key>) and silently drops these, so a condition on them could never match.
 */
const COLON_VARIABLE_KEY = /^kms:EncryptionContext:/i;

/** AWS's decision on one request by a principal holding exactly `policies`. Throws on a malformed simulation. */
export async function decide(policies: readonly PolicyDocument[], request: SimulatedRequest): Promise<Decision> {
  const simulation = {
    identityPolicies: policies.map((policy, i) => ({ name: `policy${i}`, policy: policy as never })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy && { resourcePolicy: request.resourcePolicy }),
    request: {
      action: request.action,
      principal: request.principal ?? `arn:aws:iam::${ACCOUNT}:role/under-test`,
      resource: { accountId: ACCOUNT, resource: request.resource },
      contextVariables: request.context ?? {},
    },
  };
  // The same evaluation without that input check: the request must then spell every context key as AWS does.
  if (Object.keys(simulation.request.contextVariables).some((key) => COLON_VARIABLE_KEY.test(key))) {
    // runUnsafeSimulation loads a plain resource policy without a name and then fails on it; a policy already
    // "validated" (the shape @cloud-copilot/iam-policy's createValidatedPolicy returns) carries its name.
    const resourcePolicy = request.resourcePolicy && { __validated: true, policyDocument: request.resourcePolicy, metadata: { name: 'resource-policy' }, errors: [] };
    return runUnsafeSimulation({ ...simulation, ...(resourcePolicy && { resourcePolicy }) }, {}) as Decision;
  }
  const response = await runSimulation(simulation, {});
  if (response.resultType === 'error') throw new Error(`the simulation is malformed: ${JSON.stringify(response.errors)}`);
  return response.overallResult as Decision;
}
