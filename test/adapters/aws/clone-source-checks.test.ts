// The checks a failed instance passes before it is cloned (lambdas/adapters/aws/clone-source-checks.ts), as a
// table: the cluster tag, the instance profile's role, the launch template. The moto test
// (test/integration/aws/ec2-replacement-hosts.moto.test.ts) shows the adapter asks them before launching anything.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from '@aws-sdk/client-ec2';
import { checkInstanceProfile, checkLaunchTemplate, checkSourceCluster, instanceProfileName } from '../../../lambdas/adapters/aws/clone-source-checks';
import { CloneRefusedError } from '../../../lambdas/core/errors';

const WHO = { clusterName: 'demo', memberName: 'infra3', failedMemberName: 'infra1', sourceInstanceId: 'i-0aaaaaaaaaaaaaaa1' };
const MEMBER_ROLE = 'arn:aws:iam::123456789012:role/etcd-member';
const PROFILE = 'arn:aws:iam::123456789012:instance-profile/etcd-host';
const refused = (pattern: RegExp) => (error: Error) => error instanceof CloneRefusedError && pattern.test(error.message);

describe('clone source checks', () => {
  const tagged = (tags: Array<[string, string]>): Instance => ({ InstanceId: WHO.sourceInstanceId, Tags: tags.map(([Key, Value]) => ({ Key, Value })) });

  for (const [why, instance, pattern] of [
    ['no cluster tag', tagged([['Name', 'x']]), /carries no etcd-ha:cluster tag, not etcd-ha:cluster="demo"/],
    ['another cluster', tagged([['etcd-ha:cluster', 'prod']]), /is tagged etcd-ha:cluster="prod"/],
    ['an empty value', tagged([['etcd-ha:cluster', '']]), /is tagged etcd-ha:cluster=""/],
  ] as const) {
    it(`refuses a source with ${why}`, () => assert.throws(() => checkSourceCluster(instance, WHO), refused(pattern)));
  }
  it("accepts a source tagged with the cluster's name", () => checkSourceCluster(tagged([['etcd-ha:cluster', 'demo']]), WHO));

  it('reads the profile name from its ARN (with a path); anything else is refused', () => {
    assert.equal(instanceProfileName(PROFILE, WHO), 'etcd-host');
    assert.equal(instanceProfileName('arn:aws:iam::123456789012:instance-profile/team/etcd/etcd-host', WHO), 'etcd-host');
    assert.throws(() => instanceProfileName('arn:aws:iam::123456789012:role/etcd-member', WHO), refused(/is no instance profile ARN/));
  });

  for (const [why, described, pattern] of [
    ['a role outside memberInstanceRoleArns', { arn: PROFILE, roleArns: ['arn:aws:iam::123456789012:role/admin'] }, /has role arn:aws:iam::123456789012:role\/admin; a clone may carry only a role of memberInstanceRoleArns/],
    ['no role', { arn: PROFILE, roleArns: [] }, /has no role/],
    ['a profile IAM does not know', undefined, /is not an instance profile of this account/],
    ['a profile of the same name elsewhere', { arn: 'arn:aws:iam::123456789012:instance-profile/other/etcd-host', roleArns: [MEMBER_ROLE] }, /is not an instance profile of this account/],
  ] as const) {
    it(`refuses an instance profile with ${why}`, () => assert.throws(() => checkInstanceProfile(PROFILE, described, [MEMBER_ROLE], WHO), refused(pattern)));
  }
  it('accepts a profile whose role is a member role', () => checkInstanceProfile(PROFILE, { arn: PROFILE, roleArns: [MEMBER_ROLE] }, [MEMBER_ROLE], WHO));

  it('clones from a launch template only when the stack names it; an instance without one passes', () => {
    const fromTemplate = tagged([['aws:ec2launchtemplate:id', 'lt-0123'], ['aws:ec2launchtemplate:version', '3']]);
    assert.throws(() => checkLaunchTemplate(fromTemplate, [], WHO), refused(/launch template lt-0123 \(version 3\), which is not among the stack's cloneLaunchTemplateIds \(none\)/));
    checkLaunchTemplate(fromTemplate, ['lt-0123'], WHO);
    checkLaunchTemplate(tagged([]), [], WHO);
  });
});
