// What a failed instance must be before it is cloned, whatever the request or the registry record says: the
// clone inherits its image, user data, network and instance profile, so a source of another cluster (or none) or a
// profile with a foreign role would hand the launcher's rights to someone else's host. Pure: no I/O; the EC2
// adapter (ec2-replacement-hosts.ts) asks EC2 and IAM, then these decide. Table-tested in
// test/adapters/aws/clone-source-checks.test.ts.
import type { Instance } from '@aws-sdk/client-ec2';
import { CloneRefusedError } from '../../core/errors';
import type { CloneRequest } from '../../ports';
import { CLUSTER_TAG, launchTemplateOf, manualReplacementHint } from './clone-launch-input';

type Who = Pick<CloneRequest, 'clusterName' | 'memberName' | 'failedMemberName' | 'sourceInstanceId'>;

/**
 * The source carries `etcd-ha:cluster` equal to the cluster's name.
 * @throws CloneRefusedError naming the tag's value (or its absence).
 */
export function checkSourceCluster(instance: Instance, request: Who): void {
  const value = instance.Tags?.find((t) => t.Key === CLUSTER_TAG)?.Value;
  if (value === request.clusterName) return;
  const carries = value === undefined ? `carries no ${CLUSTER_TAG} tag` : `is tagged ${CLUSTER_TAG}=${JSON.stringify(value)}`;
  throw new CloneRefusedError(
    `failed instance ${request.sourceInstanceId} ${carries}, not ${CLUSTER_TAG}=${JSON.stringify(request.clusterName)}: ` +
      `only an instance of cluster "${request.clusterName}" is cloned for it; ${manualReplacementHint(request)}`,
  );
}

/** An instance profile as IAM describes it: its ARN and the ARNs of its roles (at most one). */
export interface DescribedInstanceProfile {
  readonly arn: string;
  readonly roleArns: readonly string[];
}

/**
 * The name of an instance profile from its ARN (`arn:aws:iam::123456789012:instance-profile/path/name`).
 * @throws CloneRefusedError when it is no instance profile ARN.
 */
export function instanceProfileName(arn: string, request: Who): string {
  const match = /^arn:aws[a-z-]*:iam::\d{12}:instance-profile\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,128})$/.exec(arn);
  if (match === null) {
    throw new CloneRefusedError(`the instance profile of failed instance ${request.sourceInstanceId}, ${JSON.stringify(arn)}, is no instance profile ARN; ${manualReplacementHint(request)}`);
  }
  return match[1]!;
}

/**
 * The clone's instance profile (`profileArn`, from EC2's description or the placement record) is the one IAM
 * describes, and its role is one of `allowedRoleArns` (the stack's memberInstanceRoleArns).
 * @throws CloneRefusedError naming the profile, its roles and the allowed ones.
 */
export function checkInstanceProfile(profileArn: string, described: DescribedInstanceProfile | undefined, allowedRoleArns: readonly string[], request: Who): void {
  const allowed = new Set(allowedRoleArns);
  const roles = described?.arn === profileArn ? described.roleArns : undefined;
  if (roles !== undefined && roles.length > 0 && roles.every((arn) => allowed.has(arn))) return;
  const why =
    roles === undefined
      ? 'is not an instance profile of this account'
      : roles.length === 0
        ? 'has no role'
        : `has role ${roles.join(', ')}`;
  throw new CloneRefusedError(
    `the instance profile ${profileArn} of failed instance ${request.sourceInstanceId} ${why}; a clone may carry only a role of ` +
      `memberInstanceRoleArns (${allowedRoleArns.join(', ') || 'none given'}); ${manualReplacementHint(request)}`,
  );
}

/**
 * A source launched from a launch template is cloned from it only when the stack names that template
 * (cloneLaunchTemplateIds): a template decides the image, user data and network of what it launches.
 * @throws CloneRefusedError naming the template and the context key.
 */
export function checkLaunchTemplate(instance: Instance, allowedTemplateIds: readonly string[], request: Who): void {
  const template = launchTemplateOf(instance);
  if (template === undefined || allowedTemplateIds.includes(template.id)) return;
  throw new CloneRefusedError(
    `failed instance ${request.sourceInstanceId} was launched from launch template ${template.id} (version ${template.version}), which is not ` +
      `among the stack's cloneLaunchTemplateIds (${allowedTemplateIds.join(', ') || 'none'}): name it there to clone from it, or ${manualReplacementHint(request)}`,
  );
}
