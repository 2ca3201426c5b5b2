// chooseClonePlacement, one row per rule: the failed member's own subnet while its AZ is fine, another AZ with the
// fewest live members otherwise, never an AZ that would then hold a quorum, a one-AZ cluster's only AZ, and the
// refusals (naming the AZs and their counts).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chooseClonePlacement, type ClonePlacement, type PlacedMember } from '../../lambdas/core/clone-placement';

/** Member `name` in AZ us-east-1<az>, in subnet-<az> unless another subnet is given (null: none recorded). */
const m = (name: string, az: string | undefined, subnet: string | null = az ? `subnet-${az}` : null): PlacedMember => ({
  name,
  ...(subnet !== null && { subnetId: subnet }),
  ...(az !== undefined && { availabilityZone: `us-east-1${az}` }),
});

/** 5 members over 3 AZs: infra0, infra1 in a; infra2, infra3 in b; infra4 in c. */
const FIVE = [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'b'), m('infra3', 'b'), m('infra4', 'c')];

interface Row {
  readonly name: string;
  readonly members: readonly PlacedMember[];
  readonly failed: string;
  readonly down?: readonly string[];
  readonly avoid?: readonly string[];
  /** [subnet, AZ letter or undefined, rule] or a pattern the refusal must match. */
  readonly expect: readonly [string, string | undefined, string] | RegExp;
}

const rows: Row[] = [
  { name: 'own subnet while its AZ is fine (5 over 3 AZs, the failed one alone down)', members: FIVE, failed: 'infra1', expect: ['subnet-a', 'a', 'own-subnet'] },
  { name: "own subnet for an AZ's lone member", members: FIVE, failed: 'infra4', expect: ['subnet-c', 'c', 'own-subnet'] },
  { name: 'own subnet though other AZs have members down', members: FIVE, failed: 'infra4', down: ['infra2'], expect: ['subnet-c', 'c', 'own-subnet'] },
  {
    name: "its own AZ's recorded subnet when its own subnet is not recorded",
    members: [m('infra0', 'a', 'subnet-a2'), m('infra1', 'a', null), m('infra2', 'b'), m('infra3', 'c')],
    failed: 'infra1',
    expect: ['subnet-a2', 'a', 'own-az'],
  },
  {
    name: '5 members over 3 AZs, one AZ (2 members) down: the AZ with the fewest live members that makes no quorum',
    members: FIVE,
    failed: 'infra1',
    down: ['infra0'],
    expect: ['subnet-c', 'c', 'other-az'],
  },
  {
    name: 'the same with the third AZ avoided: b would then hold 3 of 5, a quorum',
    members: FIVE,
    failed: 'infra1',
    down: ['infra0'],
    avoid: ['us-east-1c'],
    expect: /us-east-1a \(infra1's own\) may be out: infra0 is down there too\n {2}- us-east-1b \(2 members, 2 live\) would then hold 3 of 5 members, a quorum \(3\)\n {2}- us-east-1c \(1 member, 1 live\) is to be avoided/,
  },
  {
    name: 'its own AZ avoided (a launch failed there): another AZ, not its own subnet',
    members: FIVE,
    failed: 'infra1',
    avoid: ['us-east-1a'],
    expect: ['subnet-c', 'c', 'other-az'],
  },
  {
    name: '3 members over 3 AZs, its own AZ avoided: refused, either other AZ would then hold 2 of 3',
    members: [m('infra0', 'a'), m('infra1', 'b'), m('infra2', 'c')],
    failed: 'infra1',
    avoid: ['us-east-1b'],
    expect: /us-east-1a \(1 member, 1 live\) would then hold 2 of 3 members, a quorum \(2\)[^]*us-east-1c \(1 member, 1 live\) would then hold 2 of 3/,
  },
  {
    name: 'the lone member of an AZ avoided cannot move: either other AZ would then hold 3 of 5',
    members: FIVE,
    failed: 'infra4',
    avoid: ['us-east-1c'],
    expect: /us-east-1c \(infra4's own\) is to be avoided[^]*us-east-1a \(2 members, 2 live\) would then hold 3 of 5 members, a quorum \(3\)[^]*us-east-1b \(2 members, 2 live\) would then hold 3 of 5/,
  },
  {
    name: 'the AZ with the fewest live members is passed over when it would then hold a quorum (9 over 3 AZs)',
    members: [
      ...['infra0', 'infra1'].map((n) => m(n, 'a')),
      ...['infra2', 'infra3', 'infra4', 'infra5'].map((n) => m(n, 'b')),
      ...['infra6', 'infra7', 'infra8'].map((n) => m(n, 'c')),
    ],
    failed: 'infra1',
    down: ['infra0', 'infra2', 'infra3'],
    expect: ['subnet-c', 'c', 'other-az'],
  },
  {
    name: 'the fewest live members wins over the name (7 over 3 AZs)',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'a'), m('infra3', 'b'), m('infra4', 'b'), m('infra5', 'c'), m('infra6', 'c')],
    failed: 'infra1',
    down: ['infra0', 'infra5'],
    expect: ['subnet-c', 'c', 'other-az'],
  },
  {
    name: 'at equal live members, the AZ with fewer members down (7 over 4 AZs)',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'b'), m('infra3', 'b'), m('infra4', 'c'), m('infra5', 'd'), m('infra6', 'd')],
    failed: 'infra1',
    down: ['infra0', 'infra2'],
    expect: ['subnet-c', 'c', 'other-az'],
  },
  {
    name: 'an avoided AZ is passed over though it has the fewest live members',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'b'), m('infra3', 'b'), m('infra4', 'c'), m('infra5', 'c'), m('infra6', 'd')],
    failed: 'infra1',
    down: ['infra0'],
    avoid: ['us-east-1d'],
    expect: ['subnet-b', 'b', 'other-az'],
  },
  {
    name: 'two AZs, 3 + 2 members, the 2-member AZ out: the other would then hold 4 of 5',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'a'), m('infra3', 'b'), m('infra4', 'b')],
    failed: 'infra4',
    down: ['infra3'],
    expect: /us-east-1b \(infra4's own\) may be out: infra3 is down there too\n {2}- us-east-1a \(3 members, 3 live\) would then hold 4 of 5 members, a quorum \(3\)/,
  },
  {
    name: 'a one-AZ cluster: its only subnet, even with another member down there',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'a'), m('infra3', 'a'), m('infra4', 'a')],
    failed: 'infra1',
    down: ['infra0'],
    expect: ['subnet-a', 'a', 'single-az'],
  },
  {
    name: 'a one-AZ cluster whose AZ is avoided: refused, no other AZ is recorded',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'a')],
    failed: 'infra1',
    avoid: ['us-east-1a'],
    expect: /every member of the cluster is in us-east-1a, and us-east-1a \(infra1's own\) is to be avoided[^]*no other availability zone is recorded/,
  },
  {
    name: 'a member whose AZ is not recorded counts in every candidate AZ',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'b'), m('infra3', 'c'), m('infra4', undefined, 'subnet-x')],
    failed: 'infra1',
    down: ['infra0'],
    expect: /us-east-1b \(1 member, 1 live\) would then hold 3 of 5 members \(counting infra4, whose AZ is not recorded\), a quorum \(3\)[^]*infra4: availability zone not recorded/,
  },
  {
    name: 'an AZ without a recorded subnet is no candidate',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'b', null), m('infra3', 'c'), m('infra4', 'c'), m('infra5', 'd'), m('infra6', 'd')],
    failed: 'infra1',
    down: ['infra0'],
    expect: ['subnet-c', 'c', 'other-az'],
  },
  {
    name: 'in the chosen AZ, the subnet most of its members use',
    members: [m('infra0', 'a'), m('infra1', 'a'), m('infra2', 'b', 'subnet-b1'), m('infra3', 'b', 'subnet-b2'), m('infra4', 'b', 'subnet-b2'), m('infra5', 'c'), m('infra6', 'c'), m('infra7', 'c'), m('infra8', 'c')],
    failed: 'infra1',
    down: ['infra0'],
    expect: ['subnet-b2', 'b', 'other-az'],
  },
  {
    name: "the failed member's AZ not recorded: its own subnet, as before AZs were recorded",
    members: [m('infra0', 'a'), { name: 'infra1', subnetId: 'subnet-old' }, m('infra2', 'b')],
    failed: 'infra1',
    down: ['infra0'],
    avoid: ['us-east-1a'],
    expect: ['subnet-old', undefined, 'own-subnet'],
  },
  {
    name: 'the failed member with neither a subnet nor an AZ recorded: refused',
    members: [m('infra0', 'a'), { name: 'infra1' }, m('infra2', 'b')],
    failed: 'infra1',
    expect: /"infra1" has neither a recorded subnet nor a recorded availability zone/,
  },
];

function choose(row: Row): ClonePlacement {
  return chooseClonePlacement({
    failed: row.members.find((member) => member.name === row.failed)!,
    members: row.members,
    down: row.down ?? [],
    avoidAvailabilityZones: row.avoid ?? [],
  });
}

describe('chooseClonePlacement', () => {
  for (const row of rows) {
    it(row.name, () => {
      const placement = choose(row);
      if (row.expect instanceof RegExp) {
        assert.equal(placement.ok, false, JSON.stringify(placement));
        if (!placement.ok) assert.match(placement.message, row.expect);
        return;
      }
      assert.ok(placement.ok, JSON.stringify(placement));
      const [subnetId, az, rule] = row.expect;
      assert.deepEqual(
        { subnetId: placement.subnetId, availabilityZone: placement.availabilityZone, rule: placement.rule },
        { subnetId, availabilityZone: az && `us-east-1${az}`, rule },
      );
    });
  }

  it('says why it moved the clone, with the counts', () => {
    const placement = choose(rows.find((r) => r.name.startsWith('5 members over 3 AZs'))!);
    assert.ok(placement.ok);
    assert.equal(
      placement.reason,
      "us-east-1a (infra1's own) may be out: infra0 is down there too; subnet-c in us-east-1c: 1 live member there, 2 of 5 with the clone (quorum 3)",
    );
  });

  it('the failed member counts as down and as one of the n members whether the list names it or not', () => {
    const withIt = choose({ name: '', members: FIVE, failed: 'infra1', down: ['infra0', 'infra1'], expect: /./ });
    const without = chooseClonePlacement({ failed: FIVE[1]!, members: FIVE.filter((x) => x.name !== 'infra1'), down: ['infra0'], avoidAvailabilityZones: [] });
    assert.deepEqual(withIt, without);
    assert.ok(without.ok && without.subnetId === 'subnet-c');
  });
});
