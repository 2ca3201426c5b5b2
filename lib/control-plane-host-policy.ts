// The policy to attach to the instance role of the control-plane hosts. During Push Client Certificates a host
// fetches its own bundle with its own credentials (fetch-member-pki.sh): this lets it read only control-plane bundles
// (`<prefix>/<cluster>/control-plane/<host>`, never the CA, a client or a member secret, whatever their tags say), and
// of those only one whose `etcd-ha:instance-arn` tag names the very instance that asks (`ec2:SourceInstanceARN`), and
// use the secrets' KMS key only through Secrets Manager. Nothing else.
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import { CONTROL_PLANE_BUNDLE_ITEM, INSTANCE_ARN_TAG } from '../lambdas/catalog/contracts';
import { secretsArnPattern, viaSecretsManager } from './step-access';

/** Every cluster's control-plane bundles, below the prefix. */
export const CONTROL_PLANE_BUNDLES_PATTERN = `*/${CONTROL_PLANE_BUNDLE_ITEM('*')}`;

export interface ControlPlaneHostPolicyProps {
  /** First segment of the secret names (`<prefix>/<cluster>/control-plane/<host>`). */
  readonly secretPrefix: string;
  /** The key that encrypts the secrets. */
  readonly secretsKey: kms.IKey;
}

export class ControlPlaneHostPolicy extends Construct {
  readonly policy: iam.ManagedPolicy;

  constructor(scope: Construct, id: string, props: ControlPlaneHostPolicyProps) {
    super(scope, id);
    this.policy = new iam.ManagedPolicy(this, 'Policy', {
      description: 'etcd-ha control-plane hosts: read only a control-plane bundle tagged with this instance ARN',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadOwnControlPlaneBundle',
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretsArnPattern(this, props.secretPrefix, CONTROL_PLANE_BUNDLES_PATTERN)],
          conditions: { StringEquals: { [`aws:ResourceTag/${INSTANCE_ARN_TAG}`]: '${ec2:SourceInstanceARN}' } },
        }),
        new iam.PolicyStatement({ sid: 'DecryptViaSecretsManager', actions: ['kms:Decrypt'], resources: [props.secretsKey.keyArn], conditions: viaSecretsManager() }),
      ],
    });
    acknowledge(
      this.policy,
      'AwsSolutions-IAM5',
      `A control-plane host may read only control-plane bundles ("${props.secretPrefix}/<cluster>/${CONTROL_PLANE_BUNDLE_ITEM('<host>')}", created per host at run time), and of those only one whose ${INSTANCE_ARN_TAG} tag equals its own ec2:SourceInstanceARN (condition); the CA, client and member secrets are outside the pattern.`,
      [`Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${props.secretPrefix}/${CONTROL_PLANE_BUNDLES_PATTERN}`],
    );
  }
}
