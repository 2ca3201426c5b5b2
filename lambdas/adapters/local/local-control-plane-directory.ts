// ControlPlaneDirectory on one machine: the control-plane hosts a local run names (`--host NAME=ADDRESS`) are simulated
// hosts, `<hostsDir>/<name>` on their loopback address. As an instance carries `etcd-ha:control-plane=<cluster>`, a
// host carries <root>/run/etcd-ha/control-plane-tag, written the first time it is connected: a host tagged for another
// cluster, or an etcd member's host, is refused instead of being rewired.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isIPv4 } from 'node:net';
import { SpecValidationError } from '../../core/errors';
import { MemberNameSchema } from '../../core/spec';
import type { ControlPlaneDirectory, ControlPlaneHostsRequest, Host } from '../../ports';
import { CLUSTER_TAG_FILE } from './loopback-host-directory';

/** The simulated host's etcd-ha:control-plane tag, under its root: the cluster whose control plane it is. */
export const CONTROL_PLANE_TAG_FILE = join('run', 'etcd-ha', 'control-plane-tag');

export class LocalControlPlaneDirectory implements ControlPlaneDirectory {
  private readonly hostsDir: string;

  constructor(props: { readonly hostsDir: string }) {
    if (!isAbsolute(props.hostsDir)) throw new RangeError(`hostsDir must be an absolute path, got "${props.hostsDir}"`);
    this.hostsDir = resolve(props.hostsDir);
  }

  find(clusterName: string, request: ControlPlaneHostsRequest): Promise<Host[]> {
    const subject = 'ConnectControlPlane input';
    if (request.instanceIds?.length) return Promise.reject(new SpecValidationError(subject, ['instanceIds: local mode has no instances; name simulated hosts with hosts (--host NAME=ADDRESS)']));
    const given = request.hosts ?? [];
    if (given.length === 0) return Promise.reject(new SpecValidationError(subject, ['hosts: name at least one control-plane host (--host NAME=ADDRESS)']));
    const problems: string[] = [];
    given.forEach((host, i) => {
      if (!MemberNameSchema.safeParse(host.name).success) problems.push(`hosts[${i}].name: "${host.name}" is not a host name`);
      if (!isIPv4(host.address) || !host.address.startsWith('127.')) problems.push(`hosts[${i}].address: must be a loopback IPv4 address, got "${host.address}"`);
      const root = join(this.hostsDir, host.name);
      if (existsSync(join(root, CLUSTER_TAG_FILE))) problems.push(`hosts[${i}].name: ${host.name} is an etcd member's host, not a control-plane host`);
      const tag = existsSync(join(root, CONTROL_PLANE_TAG_FILE)) ? readFileSync(join(root, CONTROL_PLANE_TAG_FILE), 'utf8').trim() : undefined;
      if (tag !== undefined && tag !== clusterName) problems.push(`hosts[${i}].name: ${host.name} is the control plane of cluster ${tag}`);
    });
    if (new Set(given.map((h) => h.name)).size !== given.length) problems.push('hosts: a host is named twice');
    if (problems.length > 0) return Promise.reject(new SpecValidationError(subject, problems));
    return Promise.resolve(
      given.map((host) => {
        const root = join(this.hostsDir, host.name);
        mkdirSync(join(root, 'run', 'etcd-ha'), { recursive: true, mode: 0o755 });
        writeFileSync(join(root, CONTROL_PLANE_TAG_FILE), `${clusterName}\n`);
        return { name: host.name, address: host.address, root };
      }),
    );
  }
}
