// The stable names' Route 53 private hosted zone (lambdas/core/names.ts): an existing one (hostedZoneId + dnsZoneName),
// or the stack's own in the members' VPC (vpcId), or none (neither: the steps publish no names and say so; the
// certificates carry the names anyway). Record Cluster, Record Restored Cluster and Delete Record change its records.
import { CfnOutput, type RemovalPolicy, type Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as route53 from 'aws-cdk-lib/aws-route53';
import { DEFAULT_DNS_ZONE } from '../../lambdas/core/names';
import type { NamesZone } from '../step-access';

export interface NamesZoneProps {
  readonly vpcId?: string;
  readonly hostedZoneId?: string;
  readonly dnsZoneName?: string;
  readonly removalPolicy: RemovalPolicy;
}

export function addNamesZone(stack: Stack, props: NamesZoneProps): NamesZone | undefined {
  let names: NamesZone | undefined;
  if (props.hostedZoneId !== undefined && props.dnsZoneName !== undefined) {
    names = { hostedZoneId: props.hostedZoneId, zoneName: props.dnsZoneName };
  } else if (props.vpcId !== undefined) {
    const zoneName = props.dnsZoneName ?? DEFAULT_DNS_ZONE;
    const zone = new route53.PrivateHostedZone(stack, 'MemberNamesZone', {
      zoneName,
      vpc: ec2.Vpc.fromVpcAttributes(stack, 'MemberNamesVpc', { vpcId: props.vpcId, availabilityZones: stack.availabilityZones }),
      comment: 'etcd-ha stable names: <member>.<cluster>.<zone> and etcd.<cluster>.<zone> (written by the workflows)',
    });
    // The workflows' records are not CloudFormation's: a zone that still holds them cannot be deleted anyway.
    zone.applyRemovalPolicy(props.removalPolicy);
    names = { hostedZoneId: zone.hostedZoneId, zoneName };
  }
  if (names) {
    new CfnOutput(stack, 'MemberNamesZoneId', {
      description: `Route 53 private hosted zone of the stable names (${names.zoneName}): clients use etcd.<cluster>.${names.zoneName}`,
      value: names.hostedZoneId,
    });
  }
  return names;
}
