// The etcd a real-etcd suite runs on. scripts/run-tests.mjs runs every *.etcd.test.ts twice: with
// ETCD_BIN_DIR naming bookworm's etcd 3.4 and then the project's etcd 3.5 (what kubeadm runs). Importing
// this module puts ETCD_BIN_DIR first on the PATH, so etcd, etcdctl and etcdutl all come from that folder,
// also when a file is run by hand: `ETCD_BIN_DIR=.etcd/3.5/usr/bin node --import tsx --test FILE`.
import { execFileSync } from 'node:child_process';
import { basename, resolve } from 'node:path';

if (process.env.ETCD_BIN_DIR) {
  const dir = resolve(process.env.ETCD_BIN_DIR);
  process.env.ETCD_BIN_DIR = dir;
  if (!process.env.PATH?.startsWith(`${dir}:`)) process.env.PATH = `${dir}:${process.env.PATH ?? ''}`;
}

export interface EtcdUnderTest {
  /** e.g. "3.5.16" */
  readonly version: string;
  /** "3.4" or "3.5": where etcd's behaviour differs, a test says which it expects from which. */
  readonly minor: string;
  /** For suite titles: "etcd 3.5.16". */
  readonly label: string;
}

function detect(): EtcdUnderTest {
  const out = execFileSync('etcd', ['--version'], { encoding: 'utf8' });
  const version = /etcd Version: (\S+)/.exec(out)?.[1];
  if (!version) throw new Error(`cannot tell the etcd version from: ${out}`);
  return { version, minor: version.split('.').slice(0, 2).join('.'), label: `etcd ${version}` };
}

let detected: EtcdUnderTest | undefined;

/**
 * The etcd on the PATH. Called by every helper that starts etcd: a test file that does must be named
 * *.etcd.test.ts, or the runner would run it on one etcd version only.
 */
export function etcdUnderTest(): EtcdUnderTest {
  const main = basename(process.argv[1] ?? '');
  if (main.endsWith('.test.ts') && !main.endsWith('.etcd.test.ts')) {
    throw new Error(`${main} starts real etcd: name it *.etcd.test.ts so that it runs on etcd 3.4 and 3.5`);
  }
  detected ??= detect();
  return detected;
}

export interface SnapshotStatus {
  readonly hash: number;
  readonly revision: number;
  readonly totalKey: number;
  readonly totalSize: number;
}

/** Reads a snapshot file the way an operator would: `etcdutl snapshot status` on 3.5 (etcdctl's is deprecated there), `etcdctl` on 3.4. */
export function snapshotStatus(file: string): SnapshotStatus {
  const [tool, env] = etcdUnderTest().minor === '3.4' ? ['etcdctl', { ETCDCTL_API: '3' }] : ['etcdutl', {}];
  const out = execFileSync(tool, ['snapshot', 'status', file, '-w', 'json'], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return JSON.parse(out) as SnapshotStatus;
}
