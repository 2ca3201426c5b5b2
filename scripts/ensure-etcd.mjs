#!/usr/bin/env node
// Makes sure the host tools that local mode and the tests run for real are installed:
// - etcd + etcdctl on the PATH (Debian bookworm's etcd-server / etcd-client: etcd 3.4), shellcheck and
//   openssl (test oracles). As root on Debian/Ubuntu it installs what is missing with apt; otherwise it
//   says how and fails.
// - etcd 3.5 (the version kubeadm runs) in the project's own .etcd/3.5 folder: Debian trixie's etcd-server /
//   etcd-client packages, downloaded with a temporary sources list and unpacked with dpkg-deb — never
//   installed over the system's packages. Cached: fetched once.
//
// Usage: node scripts/ensure-etcd.mjs [--require-3.5]
//   --require-3.5  fail when etcd 3.5 cannot be had (the tests need both versions); without it (npm start)
//                  a missing 3.5 is a note and local mode runs the etcd on the PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ETCD_35_BIN_DIR, etcdVersionIn } from './etcd-bin-dirs.mjs';

const requireEtcd35 = process.argv.includes('--require-3.5');
const projectDir = join(dirname(fileURLToPath(import.meta.url)), '..');

const needed = [
  { command: 'etcd', aptPackage: 'etcd-server' },
  { command: 'etcdctl', aptPackage: 'etcd-client' },
  { command: 'shellcheck', aptPackage: 'shellcheck' },
  { command: 'openssl', aptPackage: 'openssl' },
];

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
const isDebianLike = /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease);
const aptEnv = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };

function fail(lines) {
  for (const line of lines) console.error(line);
  process.exit(1);
}

function apt(args, cwd) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'pipe'], env: aptEnv, encoding: 'utf8', ...(cwd && { cwd }) });
  // apt warns that a download "is performed unsandboxed as root" into a folder _apt cannot write: harmless here.
  const stderr = (run.stderr ?? '').split('\n').filter((l) => l && !/unsandboxed as root/.test(l));
  return { ok: run.status === 0, status: run.status, stderr: stderr.join('\n') };
}

function ensureToolsOnPath() {
  const missing = needed.filter((tool) => !onPath(tool.command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => tool.aptPackage))];
  if (!isRoot || !isDebianLike) {
    fail([
      `etcd-ha needs ${missing.map((t) => t.command).join(', ')} on the PATH.`,
      `On Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}`,
      'Elsewhere: install etcd >= 3.4 (https://etcd.io/docs/latest/install/), shellcheck and openssl.',
    ]);
  }
  console.error(`installing ${packages.join(' ')} with apt-get ...`);
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
    const run = apt(args);
    if (!run.ok) fail([`apt-get ${args.join(' ')} failed (exit ${run.status})`, run.stderr]);
  }
  const stillMissing = needed.filter((tool) => !onPath(tool.command));
  if (stillMissing.length > 0) fail([`still missing after apt-get: ${stillMissing.map((t) => t.command).join(', ')}`]);
}

/** Why etcd 3.5 could not be had, or undefined once .etcd/3.5 holds it. */
function fetchEtcd35() {
  if (!onPath('apt-get') || !onPath('dpkg-deb')) return 'apt-get and dpkg-deb are needed to fetch it (Debian/Ubuntu)';
  const target = join(projectDir, '.etcd', '3.5');
  const work = join(projectDir, '.etcd', 'apt');
  rmSync(work, { recursive: true, force: true });
  for (const dir of ['lists/partial', 'cache/archives/partial', 'debs']) mkdirSync(join(work, dir), { recursive: true });
  writeFileSync(join(work, 'sources.list'), 'deb http://deb.debian.org/debian trixie main\n');
  // Its own sources, lists and cache: the system's apt state is neither read for sources nor changed.
  const options = [
    '-o', `Dir::Etc::SourceList=${join(work, 'sources.list')}`,
    '-o', 'Dir::Etc::SourceParts=/dev/null',
    '-o', `Dir::State::Lists=${join(work, 'lists')}`,
    '-o', `Dir::Cache=${join(work, 'cache')}`,
    '-o', 'Debug::NoLocking=true',
  ];
  console.error('fetching etcd 3.5 (Debian trixie etcd-server, etcd-client) into .etcd/3.5 ...');
  try {
    const update = apt([...options, '-qq', 'update']);
    if (!update.ok) return `apt-get update with a trixie sources list failed (exit ${update.status}): ${update.stderr}`;
    const download = apt([...options, '-qq', 'download', 'etcd-server', 'etcd-client'], join(work, 'debs'));
    if (!download.ok) return `apt-get download etcd-server etcd-client failed (exit ${download.status}): ${download.stderr}`;
    rmSync(target, { recursive: true, force: true });
    for (const deb of readdirSync(join(work, 'debs')).filter((f) => f.endsWith('.deb'))) {
      const unpack = spawnSync('dpkg-deb', ['-x', join(work, 'debs', deb), target], { encoding: 'utf8' });
      if (unpack.status !== 0) return `dpkg-deb -x ${deb} failed: ${unpack.stderr}`;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const version = etcdVersionIn(ETCD_35_BIN_DIR);
  if (!version?.startsWith('3.5.')) return `trixie's etcd-server is ${version ?? 'not runnable here'}, not 3.5`;
  return undefined;
}

function ensureEtcd35() {
  const cached = etcdVersionIn(ETCD_35_BIN_DIR);
  if (cached?.startsWith('3.5.')) return;
  const why = fetchEtcd35();
  if (why === undefined) {
    console.error(`etcd ${etcdVersionIn(ETCD_35_BIN_DIR)} is in ${ETCD_35_BIN_DIR}`);
    return;
  }
  const help = [
    `etcd 3.5 could not be fetched: ${why}.`,
    `Give it by hand: put etcd, etcdctl and etcdutl 3.5 (https://github.com/etcd-io/etcd/releases) in ${ETCD_35_BIN_DIR}`,
    "(or unpack Debian trixie's etcd-server and etcd-client packages into .etcd/3.5 with dpkg-deb -x).",
  ];
  if (requireEtcd35) fail([...help, 'The tests run every real-etcd suite on etcd 3.4 and on etcd 3.5.']);
  console.error(help.join('\n'));
  console.error('Local mode runs the etcd on the PATH instead.');
}

ensureToolsOnPath();
ensureEtcd35();
