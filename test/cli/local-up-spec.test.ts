// `etcd-ha local up --spec FILE` checks the spec before anything else: null, an array or a member list that is
// no list is a usage error (exit 2) naming the field, also while another local cluster is recorded, and nothing
// is written. A valid spec for another cluster is refused before the workflow runs. In process, and nothing can
// start: ETCD_BIN_DIR names a stand-in etcd that only fails, so a refusal that let the workflow through fails
// the test instead of starting members.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileClusterRegistry } from '../../lambdas/adapters/local/file-cluster-registry';
import type { ClusterRecord } from '../../lambdas/ports';
import { main } from '../../bin/cli/main';

const ENV_KEYS = ['ETCD_HA_HOME', 'ETCD_BIN_DIR', 'ETCD_HA_LOCAL_FIRST_ADDRESS'] as const;

const RECORD: ClusterRecord = {
  clusterName: 'local',
  runtime: 'systemd',
  members: [0, 1, 2].map((i) => ({ name: `infra${i}`, id: String(1000 + i), address: `127.0.0.${241 + i}` })),
  secrets: {
    ca: 'etcd-ha/local/ca',
    healthcheckClient: 'etcd-ha/local/healthcheck-client',
    apiserverEtcdClient: 'etcd-ha/local/apiserver-etcd-client',
    ...Object.fromEntries([0, 1, 2].map((i) => [`infra${i}`, `etcd-ha/local/member/infra${i}`])),
  },
  updatedAt: '2026-01-01T00:00:00.000Z',
  spec: { clusterName: 'local', runtime: 'systemd', members: [0, 1, 2].map((i) => ({ name: `infra${i}`, address: `127.0.0.${241 + i}` })) },
};

/** [case, the spec file's JSON, what stderr must say: the field and what was expected] */
const MALFORMED: Array<[string, unknown, RegExp]> = [
  ['null', null, /\(root\): expected object, received null: a cluster spec is a JSON object/],
  ['an array', [], /\(root\): expected object, received array/],
  ['members as a string', { clusterName: 'x', members: 'infra0' }, /members: expected array, received string: a list of members/],
  ['members as an object', { clusterName: 'x', members: {} }, /members: expected array, received object/],
];

describe('etcd-ha local up --spec: a malformed spec is a usage error', () => {
  const saved = Object.fromEntries(ENV_KEYS.map((key) => [key, process.env[key]]));
  const base = mkdtempSync(join(tmpdir(), 'etcd-ha-local-up-spec-'));
  let homes = 0;

  before(() => {
    const binDir = join(base, 'bin');
    mkdirSync(binDir);
    writeFileSync(join(binDir, 'etcd'), '#!/bin/sh\necho "stand-in etcd: this test starts nothing" >&2\nexit 1\n');
    chmodSync(join(binDir, 'etcd'), 0o755);
    process.env.ETCD_BIN_DIR = binDir;
    process.env.ETCD_HA_LOCAL_FIRST_ADDRESS = '127.0.0.241';
  });
  after(() => {
    for (const key of ENV_KEYS) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
    rmSync(base, { recursive: true, force: true });
  });

  /** A fresh local home, with RECORD in its registry when `recorded`. */
  async function freshHome(recorded: boolean): Promise<string> {
    const home = join(base, `home-${(homes += 1)}`);
    if (recorded) await new FileClusterRegistry({ dir: join(home, 'registry') }).put(RECORD);
    return home;
  }

  function specFile(name: string, json: unknown): string {
    const path = join(base, `${name.replace(/\W+/g, '-')}.json`);
    writeFileSync(path, JSON.stringify(json));
    return path;
  }

  async function localUp(home: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
    process.env.ETCD_HA_HOME = home;
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['local', 'up', ...args], { out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }

  /** What is in `dir`, recursively, as relative paths ([] when it does not exist). */
  function entries(dir: string): string[] {
    if (!existsSync(dir)) return [];
    return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
  }

  for (const [name, json, message] of MALFORMED) {
    it(`${name}: exit 2 naming the field, nothing written`, async () => {
      const home = await freshHome(false);
      const { code, err } = await localUp(home, ['--spec', specFile(name, json)]);
      assert.equal(code, 2, err);
      assert.match(err, /^etcd-ha: invalid cluster spec:/);
      assert.match(err, message);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
      assert.deepEqual(entries(home), [], 'no hosts, secrets, registry or step log');
    });

    it(`${name}, while a cluster is recorded: still the field, not "another cluster", and the record unchanged`, async () => {
      const home = await freshHome(true);
      const recordFile = join(home, 'registry', 'local.json');
      const before = readFileSync(recordFile);
      const { code, err } = await localUp(home, ['--spec', specFile(name, json)]);
      assert.equal(code, 2, err);
      assert.match(err, message);
      assert.doesNotMatch(err, /already here/);
      assert.doesNotMatch(err, /TypeError|\n\s+at /, 'no crash, no stack trace');
      assert.deepEqual(readFileSync(recordFile), before, 'the record is byte-identical');
      assert.deepEqual(entries(home), ['registry', join('registry', 'local.json')]);
    });
  }

  it('a valid spec for another cluster while one is recorded: "already here", before the workflow runs', async () => {
    const home = await freshHome(true);
    const before = readFileSync(join(home, 'registry', 'local.json'));
    const other = { clusterName: 'other', members: [0, 1, 2].map((i) => ({ name: `infra${i}` })) };
    const { code, out, err } = await localUp(home, ['--spec', specFile('other', other)]);
    assert.equal(code, 2, err);
    assert.match(err, /a local cluster "local" \(infra0,infra1,infra2\) is already here; .*npx etcd-ha local down/);
    assert.equal(out, '', 'no "provisioning" line: the workflow never started');
    assert.deepEqual(readFileSync(join(home, 'registry', 'local.json')), before);
    assert.deepEqual(entries(home), ['registry', join('registry', 'local.json')], 'no hosts dir, no step log');
  });

  it('--members 5 while a 3-member cluster is recorded: refused, naming the members it would add, before the workflow runs', async () => {
    const home = await freshHome(true);
    const { code, out, err } = await localUp(home, ['--members', '5']);
    assert.equal(code, 2, err);
    assert.match(err, /the spec lists infra3, which is no member; the spec lists infra4, which is no member/);
    assert.match(err, /ReplaceMember/);
    assert.equal(out, '', 'the workflow never started');
    assert.deepEqual(entries(home), ['registry', join('registry', 'local.json')]);
  });

  it('a kubeadm spec is still refused with the reason (local mode runs systemd)', async () => {
    const home = await freshHome(false);
    const kubeadm = { clusterName: 'local', runtime: 'kubeadm', members: [0, 1, 2].map((i) => ({ name: `infra${i}` })) };
    const { code, err } = await localUp(home, ['--spec', specFile('kubeadm', kubeadm)]);
    assert.equal(code, 2, err);
    assert.match(err, /runtime: local mode runs the systemd runtime/);
    assert.deepEqual(entries(home), []);
  });
});
