// HostDirectory on one machine: every member is a "host" made of a loopback address (the whole of
// 127.0.0.0/8 answers on Linux without aliases) and a directory that stands for its "/".
import { chmodSync, mkdirSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { isIPv4 } from 'node:net';
import { SpecValidationError } from '../../core/errors';
import type { Member } from '../../core/spec';
import type { Host, HostDirectory } from '../../ports';

export interface LoopbackHostDirectoryProps {
  /** Parent of the host roots: member `name` gets `<hostsDir>/<name>` (created 0755). */
  readonly hostsDir: string;
  /**
   * Address of member 0 when it has none; member i gets this + i, skipping addresses other members are given.
   * @default '127.0.0.11'
   */
  readonly firstAddress?: string;
}

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
   * Member i: its own address, or firstAddress + i (skipping addresses given to other members), so that a
   * re-run resolves the same hosts. Checks every member before creating any root.
   * @throws SpecValidationError naming `members[i].address` for an address outside 127.0.0.0/8 (or taken twice).
   */
  async resolve(_clusterName: string, members: readonly Member[]): Promise<Host[]> {
    const problems: string[] = [];
    const given = new Map<number, number>();
    members.forEach((member, i) => {
      if (!MEMBER_NAME.test(member.name)) {
        problems.push(`members[${i}].name: "${member.name}" cannot name a host directory (DNS-1123 subdomain expected)`);
      }
      if (member.address === undefined) return;
      if (!isLoopback(member.address)) {
        problems.push(
          `members[${i}].address: ${member.address} is not a loopback address; local mode runs members on loopback addresses only (127.0.0.1 to 127.255.255.254)`,
        );
        return;
      }
      const other = given.get(toNumber(member.address));
      if (other !== undefined) problems.push(`members[${i}].address: ${member.address} is already given to members[${other}]`);
      else given.set(toNumber(member.address), i);
    });

    const taken = new Set(given.keys());
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

    return members.map((member, i) => {
      const root = join(this.hostsDir, member.name);
      mkdirSync(root, { recursive: true, mode: 0o755 });
      chmodSync(root, 0o755);
      return { name: member.name, address: addresses[i]!, root };
    });
  }
}
