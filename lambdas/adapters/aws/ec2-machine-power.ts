// MachinePower on AWS: a member's machine is its EC2 instance. `stateOf` is one DescribeInstances; `retire`
// takes a replaced member's instance out of service without destroying anything: tag `etcd-ha:replaced-by=<execution>`
// (first: the role may tag only instances that still carry `etcd-ha:cluster`), StopInstances (never terminate: its
// disks stay for inspection), then remove its `etcd-ha:cluster` tag, so that the host policy no longer lets it read
// the cluster's secrets and no step may run commands on it. An instance of another cluster is refused.
import { CreateTagsCommand, DeleteTagsCommand, DescribeInstancesCommand, StopInstancesCommand, type EC2Client, type Instance } from '@aws-sdk/client-ec2';
import { EtcdHaError } from '../../core/errors';
import type { MachinePower, MachineRef, RetireOutcome } from '../../ports';
import { CLUSTER_TAG, REPLACED_BY_TAG } from '../../catalog/contracts';

/** The tag a retired instance carries: the ReplaceMember execution that replaced its member (lambdas/catalog/contracts.ts). */
export { REPLACED_BY_TAG };

/** States in which there is nothing left to stop or tag. */
const GONE = new Set(['shutting-down', 'terminated', 'not found']);

export class Ec2MachinePower implements MachinePower {
  constructor(private readonly props: { readonly ec2: EC2Client }) {}

  async stateOf(machine: MachineRef): Promise<string> {
    return (await this.describe(machine))?.State?.Name ?? 'not found';
  }

  async retire(machine: MachineRef, options: { readonly clusterName: string; readonly replacedBy: string }): Promise<RetireOutcome> {
    const instance = await this.describe(machine);
    const stateBefore = instance?.State?.Name ?? 'not found';
    if (instance === undefined || GONE.has(stateBefore)) return { stateBefore, stopped: false, tagged: false };
    const instanceId = instance.InstanceId!;
    const tags = new Map((instance.Tags ?? []).map((t) => [t.Key, t.Value]));
    const cluster = tags.get(CLUSTER_TAG);
    if (cluster === undefined && tags.has(REPLACED_BY_TAG)) return { stateBefore, stopped: false, tagged: true };
    if (cluster !== options.clusterName) {
      throw new EtcdHaError(`instance ${instanceId} of member ${machine.name} carries ${CLUSTER_TAG}=${cluster ?? '(none)'}, not ${options.clusterName}: not retired`);
    }
    const ec2 = this.props.ec2;
    await ec2.send(new CreateTagsCommand({ Resources: [instanceId], Tags: [{ Key: REPLACED_BY_TAG, Value: options.replacedBy }] }));
    const stopping = stateBefore === 'running' || stateBefore === 'pending';
    if (stopping) await ec2.send(new StopInstancesCommand({ InstanceIds: [instanceId] }));
    await ec2.send(new DeleteTagsCommand({ Resources: [instanceId], Tags: [{ Key: CLUSTER_TAG }] }));
    return { stateBefore, stopped: stopping, tagged: true };
  }

  private async describe(machine: MachineRef): Promise<Instance | undefined> {
    if (machine.instanceId === undefined) throw new RangeError(`machine ${machine.name}: instanceId is required on AWS`);
    try {
      const answer = await this.props.ec2.send(new DescribeInstancesCommand({ InstanceIds: [machine.instanceId] }));
      return (answer.Reservations ?? []).flatMap((r) => r.Instances ?? [])[0];
    } catch (error) {
      if ((error as { name?: string }).name === 'InvalidInstanceID.NotFound') return undefined;
      throw error;
    }
  }
}
