// Snapshot Before Change, step by step and without etcd: the ports are stand-ins (a secret store holding the
// healthcheck client; an etcd admin that streams given bytes from the first member it can, moving on when a
// member's stream fails, as Etcd3Admin does; a store that reads the whole stream, as S3 and the directory do).
// A good snapshot is saved and described by its trailer and by the status of the member it came from; a
// corrupt or truncated one fails the step with SnapshotCorruptError while the store's stream fails with it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { EtcdUnavailableError, SnapshotCorruptError } from '../../lambdas/core/errors';
import type { EtcdAdmin, EtcdAdminFactory, EtcdClientCredentials, Logger, MemberStatus, SecretStore, SnapshotStore } from '../../lambdas/ports';
import { makeSnapshotBeforeChange } from '../../lambdas/steps/replace/snapshot-before-change';
import { errorOf } from '../support/rejection';
import { demoPkiRefs, HEALTHCHECK_CLIENT } from './etcd-stand-in';

const quiet: Logger = { info: () => undefined, warn: () => undefined };
const NAMES = ['infra0', 'infra1', 'infra2'];
const addressOf = (name: string) => `10.0.0.${10 + Number(name.slice('infra'.length))}`;
const endpointOf = (name: string) => `https://${addressOf(name)}:2379`;
const HOSTS = NAMES.map((name) => ({ name, address: addressOf(name) }));
const PKI = demoPkiRefs(NAMES);
const CLIENT = HEALTHCHECK_CLIENT;
const NOW = new Date('2024-05-01T10:20:30.456Z');
/** etcd's API gives the cluster ID in decimal; etcdctl prints it in hex. */
const CLUSTER_ID = '14841639068965178418';
const CLUSTER_ID_HEX = 'cdf818194e3a8c32';

const input = () => ({
  spec: { clusterName: 'demo', runtime: 'systemd', members: HOSTS },
  hosts: HOSTS,
  failed: { name: 'infra1', id: '101', address: addressOf('infra1') },
  pki: PKI,
});

/** A backend of random bytes and the SHA-256 etcd appends to it. */
function snapshotFile(backendBytes = 10_000): { file: Buffer; sha256: string } {
  const backend = randomBytes(backendBytes);
  const digest = createHash('sha256').update(backend).digest();
  return { file: Buffer.concat([backend, digest]), sha256: digest.toString('hex') };
}

const statusOf = (name: string, revision: number): MemberStatus => ({
  endpoint: endpointOf(name),
  ok: true,
  memberId: String(100 + Number(name.slice('infra'.length))),
  clusterId: CLUSTER_ID,
  revision,
});

/** What one member streams: its status (asked before the stream) and its chunks; `failAfter` cuts the stream with an error. */
interface Source {
  readonly status: MemberStatus;
  readonly file: Buffer;
  readonly failAfter?: number;
}

async function* chunksOf(source: Source): AsyncGenerator<Uint8Array> {
  // Odd sizes, the last one inside the trailer, as a network may cut them.
  const sizes = [1, 4096, 31, 777];
  let at = 0;
  for (let i = 0; at < source.file.length; i++) {
    if (i === source.failAfter) throw new EtcdUnavailableError('snapshot stream failed: Connection dropped');
    const size = sizes[i % sizes.length]!;
    yield source.file.subarray(at, at + size);
    at += size;
  }
}

/** One call of the store's save: the bytes it read and how its stream ended. */
interface Saved {
  readonly name: string;
  readonly bytes: Buffer;
  readonly ended: boolean;
  readonly error?: unknown;
}

/** The step over stand-ins; members not in `sources` refuse connections. `wrapErrors`: the store reports a failed stream in its own words. */
function snapshotStepOver(sources: Readonly<Record<string, Source>>, options: { wrapErrors?: boolean } = {}) {
  const calls = { connectedWith: [] as EtcdClientCredentials[], asked: [] as string[][], saves: [] as Saved[], closed: 0 };
  const secrets: SecretStore = {
    nameFor: (cluster, item) => `etcd-ha/${cluster}/${item}`,
    get: async (name) => (name === PKI.healthcheckClient ? JSON.stringify(CLIENT) : undefined),
    put: async () => assert.fail('Snapshot Before Change writes no secret'),
  };
  const admin: EtcdAdmin = {
    inspect: async () => assert.fail('Snapshot Before Change takes the status the snapshot call gives'),
    memberAdd: async () => assert.fail('Snapshot Before Change changes no membership'),
    memberRemove: async () => assert.fail('Snapshot Before Change changes no membership'),
    memberPromote: async () => assert.fail('Snapshot Before Change changes no membership'),
    moveLeader: async () => assert.fail('Snapshot Before Change moves no leader'),
    memberUpdate: async () => assert.fail('Snapshot Before Change updates no member'),
    snapshot: async (endpoints, sink) => {
      calls.asked.push([...endpoints]);
      const failures: string[] = [];
      for (const endpoint of endpoints) {
        const source = Object.values(sources).find((s) => s.status.endpoint === endpoint);
        if (!source) {
          failures.push(`${endpoint}: connect ECONNREFUSED`);
          continue;
        }
        try {
          await sink(chunksOf(source));
          return { endpoint, status: source.status };
        } catch (error) {
          // As Etcd3Admin: a member's failed stream moves on; any other failure is the sink's and ends the search.
          if (!(error instanceof EtcdUnavailableError)) throw error;
          failures.push(`${endpoint}: ${error.message}`);
        }
      }
      throw new EtcdUnavailableError(`snapshot: no endpoint answered (${failures.join('; ')})`);
    },
    close: async () => {
      calls.closed += 1;
    },
  };
  const etcd: EtcdAdminFactory = {
    connect: (credentials) => {
      calls.connectedWith.push(credentials);
      return admin;
    },
  };
  const snapshots: SnapshotStore = {
    save: async (clusterName, name, chunks) => {
      const read: Uint8Array[] = [];
      try {
        for await (const chunk of chunks) read.push(chunk);
      } catch (error) {
        calls.saves.push({ name, bytes: Buffer.concat(read), ended: false, error });
        if (options.wrapErrors) throw new Error(`upload aborted: ${String(error)}`, { cause: error });
        throw error;
      }
      const bytes = Buffer.concat(read);
      calls.saves.push({ name, bytes, ended: true });
      return { location: `s3://etcd-ha-snapshots/snapshots/${clusterName}/${name}.db`, bytes: bytes.length };
    },
  };
  return { snapshotBeforeChange: makeSnapshotBeforeChange({ secrets, etcd, log: quiet, clock: { now: () => NOW }, snapshots }), calls };
}

const NAME = 'before-replace-infra1-2024-05-01T10-20-30-456Z';

describe('Snapshot Before Change', () => {
  it('saves a good snapshot and gives where, how big, from whom, its SHA-256 trailer, revision and cluster ID', async () => {
    const { file, sha256 } = snapshotFile();
    const { snapshotBeforeChange, calls } = snapshotStepOver({ infra0: { status: statusOf('infra0', 42), file } });
    assert.deepEqual(await snapshotBeforeChange(input()), {
      location: `s3://etcd-ha-snapshots/snapshots/demo/${NAME}.db`,
      bytes: file.length,
      from: endpointOf('infra0'),
      sha256,
      revision: 42,
      clusterId: CLUSTER_ID_HEX,
    });
    assert.equal(calls.saves.length, 1);
    assert.equal(calls.saves[0]!.ended, true);
    assert.ok(calls.saves[0]!.bytes.equals(file), 'the store got every byte, the trailer included');
    assert.equal(calls.saves[0]!.name, NAME);
    assert.deepEqual(calls.asked, [[endpointOf('infra0'), endpointOf('infra2')]], 'not the failed member');
    assert.deepEqual(calls.connectedWith, [CLIENT], 'with the healthcheck client');
    assert.equal(calls.closed, 1);
  });

  const corruptions: ReadonlyArray<{ name: string; damage: (file: Buffer) => Buffer; message: RegExp }> = [
    {
      name: 'a changed backend byte',
      damage: (file) => {
        const bad = Buffer.from(file);
        bad[5000] = bad[5000]! ^ 0x10;
        return bad;
      },
      message: /^snapshot is corrupt: the SHA-256 of its 10000 backend bytes is [0-9a-f]{64}, its trailer says [0-9a-f]{64}$/,
    },
    { name: 'a stream that ended without its trailer', damage: (file) => file.subarray(0, file.length - 32), message: /^snapshot is corrupt: / },
    { name: 'a stream shorter than the trailer', damage: (file) => file.subarray(0, 20), message: /^snapshot stream ended after 20 bytes, before the 32-byte SHA-256 etcd appends$/ },
  ];
  for (const { name, damage, message } of corruptions) {
    it(`fails on ${name}: SnapshotCorruptError, and the store's stream failed with it instead of ending`, async () => {
      const { snapshotBeforeChange, calls } = snapshotStepOver({ infra0: { status: statusOf('infra0', 42), file: damage(snapshotFile().file) } });
      const error = await errorOf(snapshotBeforeChange(input()));
      assert.ok(error instanceof SnapshotCorruptError, `expected SnapshotCorruptError, got ${String(error)}`);
      assert.equal(error.name, 'SnapshotCorruptError', 'the workflow sees it by name');
      assert.match(error.message, message);
      assert.equal(calls.saves.length, 1, 'not taken again from another member');
      assert.equal(calls.saves[0]!.ended, false, 'the store never saw the stream end, so it keeps nothing');
      assert.equal(calls.saves[0]!.error, error);
      assert.equal(calls.closed, 1, 'the client is closed, also on a failure');
    });
  }

  it('fails with SnapshotCorruptError also when the store reports the failed stream in its own words', async () => {
    const bad = snapshotFile().file;
    bad[0] = bad[0]! ^ 0x01;
    const { snapshotBeforeChange, calls } = snapshotStepOver({ infra0: { status: statusOf('infra0', 42), file: bad } }, { wrapErrors: true });
    const error = await errorOf(snapshotBeforeChange(input()));
    assert.ok(error instanceof SnapshotCorruptError, `expected SnapshotCorruptError, got ${String(error)}`);
    assert.equal(calls.saves[0]!.ended, false);
  });

  it("takes the revision and cluster ID from the status of the member the snapshot came from, checking each attempt's stream afresh", async () => {
    // infra0's stream fails half-way; infra2 (asked later, at a later revision) streams all of it.
    const first = snapshotFile();
    const second = snapshotFile(6000);
    const { snapshotBeforeChange, calls } = snapshotStepOver({
      infra0: { status: { ...statusOf('infra0', 42), clusterId: '1' }, file: first.file, failAfter: 2 },
      infra2: { status: statusOf('infra2', 57), file: second.file },
    });
    const output = await snapshotBeforeChange(input());
    assert.equal(output.from, endpointOf('infra2'));
    assert.equal(output.revision, 57);
    assert.equal(output.clusterId, CLUSTER_ID_HEX);
    assert.equal(output.sha256, second.sha256);
    assert.equal(output.bytes, second.file.length);
    assert.deepEqual(
      calls.saves.map((s) => s.ended),
      [false, true],
      "infra0's stream failed inside the store, infra2's was saved from its start",
    );
    assert.ok(calls.saves[1]!.bytes.equals(second.file));
  });
});
