// ControlPlaneDirectory on AWS: the running instances tagged `etcd-ha:control-plane=<cluster>`, or the instances a
// request names, each of which must carry that tag with this cluster's name (IAM lets the steps run commands on any
// instance carrying the tag; this is where a request naming another cluster's control plane stops). A host's name is
// its instance ID (the bundle secret is named after it), its address the private IP.
import { DescribeInstancesCommand, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { HostNotFoundError, HostNotInClusterError, SpecValidationError } from '../../core/errors';
import { CONTROL_PLANE_TAG } from '../../catalog/contracts';
import type { ControlPlaneDirectory, ControlPlaneHostsRequest, Host } from '../../ports';

const RUNNING = new Set(['pending', 'running']);

export class Ec2ControlPlaneDirectory implements ControlPlaneDirectory {
  constructor(private readonly props: { readonly ec2: EC2Client }) {}

  async find(clusterName: string, request: ControlPlaneHostsRequest): Promise<Host[]> {
    if (request.hosts?.length) throw new SpecValidationError('ConnectControlPlane input', ['hosts: simulated hosts are for local mode; name instances with instanceIds']);
    const named = request.instanceIds ?? [];
    const instances = await this.describe(named.length > 0 ? { InstanceIds: [...named] } : { Filters: [{ Name: `tag:${CONTROL_PLANE_TAG}`, Values: [clusterName] }, { Name: 'instance-state-name', Values: ['pending', 'running'] }] });
    if (named.length > 0) {
      const found = new Set(instances.map((i) => i.InstanceId));
      const missing = named.filter((id) => !found.has(id));
      if (missing.length > 0) throw new HostNotFoundError(`control-plane instances not found: ${missing.join(', ')}`);
    }
    const problems: string[] = [];
    for (const instance of instances) {
      const tag = instance.Tags?.find((t) => t.Key === CONTROL_PLANE_TAG)?.Value;
      if (tag !== clusterName) problems.push(`${instance.InstanceId} is tagged ${CONTROL_PLANE_TAG}=${tag ?? '(none)'}, not ${clusterName}`);
      else if (!RUNNING.has(instance.State?.Name ?? '')) problems.push(`${instance.InstanceId} is ${instance.State?.Name ?? 'in no known state'}`);
      else if (!instance.PrivateIpAddress) problems.push(`${instance.InstanceId} has no private IP address`);
    }
    if (problems.length > 0) throw new HostNotInClusterError(`not a control-plane host of ${clusterName}: ${problems.join('; ')}`);
    if (instances.length === 0) throw new HostNotFoundError(`no running instance is tagged ${CONTROL_PLANE_TAG}=${clusterName}: tag the control-plane instances, or name them`);
    return instances
      .map((i) => ({ name: i.InstanceId!, address: i.PrivateIpAddress!, instanceId: i.InstanceId! }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  private async describe(input: { InstanceIds?: string[]; Filters?: Filter[] }): Promise<Instance[]> {
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.props.ec2.send(new DescribeInstancesCommand({ ...input, ...(NextToken && { NextToken }) }));
      instances.push(...(page.Reservations ?? []).flatMap((r) => r.Instances ?? []));
      NextToken = page.NextToken;
    } while (NextToken);
    return instances;
  }
}
