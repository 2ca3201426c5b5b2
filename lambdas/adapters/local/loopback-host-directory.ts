// HostDirectory on one machine: every member is a "host" made of a loopback address (the whole of
// 127.0.0.0/8 answers on Linux without aliases) and a directory that stands for its "/". As an EC2 instance carries
// an etcd-ha:cluster tag, a host carries <root>/run/etcd-ha/cluster-tag, written when it is first resolved for a
// cluster: the hosts of every cluster of a home share one directory, so that a spec of one cluster naming another's
// host (or a replacement named like it) is refused instead of taking it over.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isIPv4 } from 'node:net';
import { HostNotInClusterError, SpecValidationError } from '../../core/errors';
import { CLUSTER_TAG } from '../../catalog/contracts';
import type { Member } from '../../core/spec';
import type { Host, HostDirectory, RecordedHost, ResolveOptions } from '../../ports';

export interface LoopbackHostDirectoryProps {
  /** Parent of the host roots: member `name` gets `<hostsDir>/<name>` (created 0755). */
  readonly hostsDir: string;
  /**
   * Address of member 0 when it has none; member i gets this + i, skipping addresses other members are given.
   * @default '127.0.0.11'
   */
  readonly firstAddress?: string;
}

/** The simulated host's etcd-ha:cluster tag, under its root: the cluster it serves. Only this directory writes it. */
export const CLUSTER_TAG_FILE = join('run', 'etcd-ha', 'cluster-tag');

const LOOPBACK_FIRST = 0x7f000001; // 127.0.0.1
const LOOPBACK_LAST = 0x7ffffffe; // 127.255.255.254
const MEMBER_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

function toNumber(address: string): number {
  return address.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function toAddress(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

function isLoopback(address: string): boolean {
  if (!isIPv4(address)) return false;
  const n = toNumber(address);
  return n >= LOOPBACK_FIRST && n <= LOOPBACK_LAST;
}

export class LoopbackHostDirectory implements HostDirectory {
  private readonly hostsDir: string;
  private readonly firstAddress: string;

  constructor(props: LoopbackHostDirectoryProps) {
    if (!isAbsolute(props.hostsDir)) throw new RangeError(`hostsDir must be an absolute path, got "${props.hostsDir}"`);
    this.hostsDir = resolve(props.hostsDir);
    this.firstAddress = props.firstAddress ?? '127.0.0.11';
    if (!isLoopback(this.firstAddress)) {
      throw new RangeError(`firstAddress must be a loopback address from 127.0.0.1 to 127.255.255.254, got "${this.firstAddress}"`);
    }
  }

  /**
   * Member i: its own address, or firstAddress + i (skipping addresses given to other members and
   * `options.addressesInUse`), so that a re-run resolves the same hosts. Checks every member before creating any root;
   * a new root is tagged for `clusterName`. A root without a tag (made before tags were written) is tagged now.
   * @throws SpecValidationError naming `members[i].address` for an address outside 127.0.0.0/8, taken twice, or in use.
   * @throws HostNotInClusterError naming the member, its host, its tag and `clusterName`: a host tagged for another cluster.
   */
  async resolve(clusterName: string, members: readonly Member[], options: ResolveOptions = {}): Promise<Host[]> {
    const problems: string[] = [];
    const given = new Map<number, number>();
    const inUse = new Set((options.addressesInUse ?? []).filter(isLoopback).map(toNumber));
    members.forEach((member, i) => {
      problems.push(...nameProblems(member.name, i));
      if (member.address === undefined) return;
      if (!isLoopback(member.address)) {
        problems.push(
          `members[${i}].address: ${member.address} is not a loopback address; local mode runs members on loopback addresses only (127.0.0.1 to 127.255.255.254)`,
        );
        return;
      }
      const other = given.get(toNumber(member.address));
      if (other !== undefined) problems.push(`members[${i}].address: ${member.address} is already given to members[${other}]`);
      else if (inUse.has(toNumber(member.address))) problems.push(`members[${i}].address: ${member.address} is already in use by another host of the cluster`);
      else given.set(toNumber(member.address), i);
    });

    const taken = new Set([...given.keys(), ...inUse]);
    const addresses = members.map((member, i) => {
      if (member.address !== undefined) return member.address;
      let n = toNumber(this.firstAddress) + i;
      while (taken.has(n)) n += 1;
      if (n > LOOPBACK_LAST) {
        problems.push(`members[${i}].address: no loopback address left after ${this.firstAddress}; give one explicitly`);
        return '';
      }
      taken.add(n);
      return toAddress(n);
    });
    if (problems.length > 0) throw new SpecValidationError('members for local mode', problems);
    const foreign = members.flatMap((member) => {
      const tag = this.tagOf(member.name);
      return tag === undefined || tag === clusterName ? [] : [`member "${member.name}": host ${this.rootOf(member.name)} is tagged ${CLUSTER_TAG}=${JSON.stringify(tag)}, not "${clusterName}"`];
    });
    if (foreign.length > 0) {
      throw new HostNotInClusterError(`a host serves only the cluster its ${CLUSTER_TAG} tag names; not serving cluster ${clusterName}:\n  - ${foreign.join('\n  - ')}`);
    }

    return members.map((member, i) => {
      const root = this.rootOf(member.name);
      mkdirSync(root, { recursive: true, mode: 0o755 });
      chmodSync(root, 0o755);
      if (this.tagOf(member.name) === undefined) {
        mkdirSync(join(root, CLUSTER_TAG_FILE, '..'), { recursive: true, mode: 0o755 });
        writeFileSync(join(root, CLUSTER_TAG_FILE), `${clusterName}\n`, { mode: 0o644 });
      }
      return { name: member.name, address: addresses[i]!, root };
    });
  }

  /**
   * The recorded members as hosts: their recorded fields plus the root `resolve` gives them. Nothing is created
   * (a recorded member's root was created when it was resolved).
   * @throws SpecValidationError naming `members[i].name` for a name that cannot name a host directory.
   */
  recorded(_clusterName: string, members: readonly RecordedHost[]): Host[] {
    const problems = members.flatMap((member, i) => nameProblems(member.name, i));
    if (problems.length > 0) throw new SpecValidationError('recorded members for local mode', problems);
    return members.map((m) => ({
      name: m.name,
      address: m.address,
      ...(m.instanceId && { instanceId: m.instanceId }),
      root: this.rootOf(m.name),
      ...(m.placement && { placement: m.placement }),
    }));
  }

  /** The host's etcd-ha:cluster tag; undefined when it has none (not created yet, or created before tags). */
  private tagOf(name: string): string | undefined {
    const file = join(this.rootOf(name), CLUSTER_TAG_FILE);
    return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
  }

  private rootOf(name: string): string {
    return join(this.hostsDir, name);
  }
}

function nameProblems(name: string, i: number): string[] {
  return MEMBER_NAME.test(name) ? [] : [`members[${i}].name: "${name}" cannot name a host directory (DNS-1123 subdomain expected)`];
}
