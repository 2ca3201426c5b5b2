// Where the clone of a failed member's instance goes (AWS): its own subnet while its availability zone is fine,
// else a subnet of another of the cluster's AZs — the one with the fewest live members — and never an AZ that
// would then hold a quorum of the members, so that one AZ outage can never take quorum. Pure: plain data in
// and out (the EC2 adapter feeds it what the record and EC2 say); table-tested in test/core/clone-placement.test.ts.
import { quorumOf } from './quorum';

/** A member and where its instance is (or was), as recorded. */
export interface PlacedMember {
  readonly name: string;
  readonly subnetId?: string;
  readonly availabilityZone?: string;
}

export interface ClonePlacementRequest {
  /** The failed member and where its instance ran. */
  readonly failed: PlacedMember;
  /**
   * Every member of the cluster, the failed one included (its entry here is replaced by `failed`). The cluster's
   * recorded subnets, the only ones a clone may go to, are the distinct subnets among them.
   */
  readonly members: readonly PlacedMember[];
  /** Members that are down now, besides the failed one (which is down by definition). */
  readonly down: readonly string[];
  /** AZs where a launch or a host agent already failed in this execution. */
  readonly avoidAvailabilityZones: readonly string[];
}

/**
 * Which rule chose: `own-subnet` the failed instance's subnet; `own-az` another recorded subnet of its AZ (its own
 * is not recorded); `single-az` the only AZ the cluster has; `other-az` a subnet of another AZ.
 */
export type ClonePlacementRule = 'own-subnet' | 'own-az' | 'single-az' | 'other-az';

export type ClonePlacement =
  | {
      readonly ok: true;
      readonly subnetId: string;
      /** Absent only when the failed member's AZ is not recorded (its own subnet is then taken as it is). */
      readonly availabilityZone?: string;
      readonly rule: ClonePlacementRule;
      /** One sentence for the log: why there. */
      readonly reason: string;
    }
  | { readonly ok: false; readonly message: string };

interface Zone {
  readonly name: string;
  /** Its members (the failed one excluded), by name. */
  readonly members: string[];
  /** Its recorded subnets with how many members use each. */
  readonly subnets: Map<string, number>;
}

/**
 * The subnet (and AZ) for the clone of `request.failed`, or why there is none. In order:
 * 1. The failed member's own AZ, unless it is avoided or another member there is down too (an AZ outage takes
 *    every member in it): its own subnet, else another recorded subnet of that AZ. The layout stays as it was.
 * 2. A cluster whose members are all in one AZ: that AZ, down members or not — no other subnet is recorded, and
 *    a subnet the cluster never used (other route tables, network ACLs, endpoints) is no place to guess at.
 * 3. Another AZ among the cluster's recorded subnets, not avoided, where the clone would not make a quorum
 *    (floor(n/2)+1 of the n members, down ones included): the one with the fewest live members, then the fewest
 *    down, then by name; in it, the subnet most of its members use, then by ID.
 *    A member whose AZ is not recorded might be in any AZ, so it counts in each candidate's total.
 * The failed member with no recorded AZ gets its own subnet (rule 1 as before AZs were recorded): nothing to judge.
 */
export function chooseClonePlacement(request: ClonePlacementRequest): ClonePlacement {
  const { failed } = request;
  const others = dedupe(request.members.filter((m) => m.name !== failed.name));
  const n = others.length + 1;
  const quorum = quorumOf(n);
  const down = new Set(request.down.filter((name) => name !== failed.name));
  const avoided = new Set(request.avoidAvailabilityZones);
  const unknownAz = others.filter((m) => m.availabilityZone === undefined).map((m) => m.name);
  const zones = zonesOf(others);

  if (failed.availabilityZone === undefined) {
    if (failed.subnetId === undefined) {
      return { ok: false, message: `the failed member "${failed.name}" has neither a recorded subnet nor a recorded availability zone: nowhere to put its clone` };
    }
    return { ok: true, subnetId: failed.subnetId, rule: 'own-subnet', reason: `${failed.name}'s own subnet ${failed.subnetId} (its availability zone is not recorded)` };
  }

  const ownAz = failed.availabilityZone;
  const own = zones.get(ownAz) ?? { name: ownAz, members: [], subnets: new Map<string, number>() };
  const downMates = own.members.filter((name) => down.has(name));
  const ownSubnet = failed.subnetId ?? bestSubnet(own);
  const ownProblem = avoided.has(ownAz)
    ? `${ownAz} (${failed.name}'s own) is to be avoided: a launch or host agent failed there`
    : downMates.length > 0
      ? `${ownAz} (${failed.name}'s own) may be out: ${downMates.join(', ')} ${downMates.length === 1 ? 'is' : 'are'} down there too`
      : ownSubnet === undefined
        ? `${ownAz} (${failed.name}'s own) has no recorded subnet`
        : undefined;

  // Rule 1: the layout stays as it was; no AZ gains a member.
  if (ownProblem === undefined) {
    const rule = ownSubnet === failed.subnetId ? 'own-subnet' : 'own-az';
    return { ok: true, subnetId: ownSubnet!, availabilityZone: ownAz, rule, reason: `${failed.name}'s own ${rule === 'own-subnet' ? 'subnet' : 'AZ'}: ${ownSubnet} in ${ownAz}` };
  }

  // Rule 2: every member in one AZ — nothing else is possible (a quorum there is the cluster's own layout).
  const otherZones = [...zones.values()].filter((z) => z.name !== ownAz);
  if (otherZones.length === 0 && unknownAz.length === 0) {
    if (avoided.has(ownAz) || ownSubnet === undefined) {
      return { ok: false, message: `no subnet for ${failed.name}'s clone: every member of the cluster is in ${ownAz}, and ${ownProblem}; no other availability zone is recorded` };
    }
    return {
      ok: true,
      subnetId: ownSubnet,
      availabilityZone: ownAz,
      rule: 'single-az',
      reason: `every member is in ${ownAz}, the only availability zone the cluster has: ${ownSubnet}, though ${ownProblem}`,
    };
  }

  // Rule 3: another AZ, never one that would then hold a quorum.
  const judged = otherZones.map((zone) => {
    const live = zone.members.filter((name) => !down.has(name)).length;
    const downHere = zone.members.length - live;
    const after = zone.members.length + 1 + unknownAz.length;
    const named = `${zone.name} (${plural(zone.members.length, 'member')}, ${live} live)`;
    const problem = avoided.has(zone.name)
      ? `${named} is to be avoided: a launch or host agent failed there`
      : zone.subnets.size === 0
        ? `${named} has no recorded subnet`
        : after >= quorum
          ? `${named} would then hold ${after} of ${n} members${unknownAz.length > 0 ? ` (counting ${unknownAz.join(', ')}, whose AZ is not recorded)` : ''}, a quorum (${quorum})`
          : undefined;
    return { zone, live, downHere, after, problem };
  });
  const [best] = judged
    .filter((j) => j.problem === undefined)
    .sort((a, b) => a.live - b.live || a.downHere - b.downHere || a.zone.name.localeCompare(b.zone.name));
  if (best === undefined) {
    const why = [ownProblem, ...judged.map((j) => j.problem!), ...(unknownAz.length > 0 ? [`${unknownAz.join(', ')}: availability zone not recorded`] : [])];
    return { ok: false, message: `no subnet for ${failed.name}'s clone among the cluster's availability zones (${n} members, quorum ${quorum}):\n  - ${why.join('\n  - ')}` };
  }
  const subnetId = bestSubnet(best.zone)!;
  return {
    ok: true,
    subnetId,
    availabilityZone: best.zone.name,
    rule: 'other-az',
    reason: `${ownProblem}; ${subnetId} in ${best.zone.name}: ${plural(best.live, 'live member')} there, ${best.after} of ${n} with the clone (quorum ${quorum})`,
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The first entry per name. */
function dedupe(members: readonly PlacedMember[]): PlacedMember[] {
  const seen = new Set<string>();
  return members.filter((m) => !seen.has(m.name) && seen.add(m.name));
}

/** The AZs of members whose AZ is recorded, with their members and recorded subnets. */
function zonesOf(members: readonly PlacedMember[]): Map<string, Zone> {
  const zones = new Map<string, Zone>();
  for (const member of members) {
    if (member.availabilityZone === undefined) continue;
    const zone = zones.get(member.availabilityZone) ?? { name: member.availabilityZone, members: [], subnets: new Map<string, number>() };
    zone.members.push(member.name);
    if (member.subnetId !== undefined) zone.subnets.set(member.subnetId, (zone.subnets.get(member.subnetId) ?? 0) + 1);
    zones.set(zone.name, zone);
  }
  return zones;
}

/** The zone's subnet most of its members use, then by ID; undefined when none is recorded. */
function bestSubnet(zone: Zone): string | undefined {
  return [...zone.subnets.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b))[0]?.[0];
}
