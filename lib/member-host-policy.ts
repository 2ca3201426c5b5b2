// The policy to attach to the instance role of the etcd member hosts ("host policy"). During Push
// Certificates a host fetches its own member secret with its own credentials (fetch-member-pki.sh): this
// lets it read only member secrets (`<prefix>/<cluster>/member/<name>`, never the CA or a client secret,
// whatever their tags say), and of those only one whose `etcd-ha:instance-arn` tag names the very instance that
// asks (`ec2:SourceInstanceARN`), and use the secrets' KMS key only through Secrets Manager. Nothing else:
// the SSM agent's own permissions (e.g. AmazonSSMManagedInstanceCore) are the instance role's business.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { INSTANCE_ARN_TAG } from '../lambdas/catalog/contracts';
import { secretsArnPattern, viaSecretsManager } from './step-access';

/** The secret tag the policy compares with the requesting instance's ARN (set by lambdas/entry/aws.ts). */
export { INSTANCE_ARN_TAG };

/** Every cluster's member secrets (lambdas/steps/pki-secrets.ts SECRET_ITEMS.member), below the prefix. */
export const MEMBER_SECRETS_PATTERN = '*/member/*';

export interface MemberHostPolicyProps {
  /** First segment of the secret names (`<prefix>/<cluster>/member/<name>`). */
  readonly secretPrefix: string;
  /** The key that encrypts the secrets. */
  readonly secretsKey: kms.IKey;
}

export class MemberHostPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: MemberHostPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'etcd-ha member hosts: read only a member secret tagged with this instance ARN',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadOwnMemberSecret',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretsArnPattern(this, props.secretPrefix, MEMBER_SECRETS_PATTERN)],
          conditions: { StringEquals: { [`aws:ResourceTag/${INSTANCE_ARN_TAG}`]: '${ec2:SourceInstanceARN}' } },
        }),
        new iam.PolicyStatement({
          sid: 'DecryptViaSecretsManager',
          actions: ['kms:Decrypt'],
          resources: [props.secretsKey.keyArn],
          conditions: viaSecretsManager(),
        }),
      ],
    });
    acknowledge(
      this.policy,
      'AwsSolutions-IAM5',
      `A host may read only member secrets ("${props.secretPrefix}/<cluster>/member/<name>", created per cluster at run time), and of those only one whose ${INSTANCE_ARN_TAG} tag equals its own ec2:SourceInstanceARN (condition); the CA and client secrets are outside the pattern.`,
      [`Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretPrefix}/${MEMBER_SECRETS_PATTERN}`],
    );
  }
}
