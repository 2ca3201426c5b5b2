#!/usr/bin/env node
// Makes sure the host tools that local mode and the tests run for real are installed:
// etcd + etcdctl (Debian's etcd-server / etcd-client), shellcheck and openssl (test oracles).
// As root on Debian/Ubuntu it installs what is missing with apt; otherwise it says how and fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';

const needed = [
  { command: 'etcd', aptPackage: 'etcd-server' },
  { command: 'etcdctl', aptPackage: 'etcd-client' },
  { command: 'shellcheck', aptPackage: 'shellcheck' },
  { command: 'openssl', aptPackage: 'openssl' },
];

const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = needed.filter((tool) => !onPath(tool.command));
if (missing.length === 0) process.exit(0);

const packages = [...new Set(missing.map((tool) => tool.aptPackage))];
const isRoot = process.getuid?.() === 0;
const osRelease = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
const isDebianLike = /^(ID|ID_LIKE)=.*\b(debian|ubuntu)\b/m.test(osRelease);

if (!isRoot || !isDebianLike) {
  console.error(`etcd-ha needs ${missing.map((t) => t.command).join(', ')} on the PATH.`);
  console.error(`On Debian/Ubuntu: sudo apt-get install -y ${packages.join(' ')}`);
  console.error('Elsewhere: install etcd >= 3.4 (https://etcd.io/docs/latest/install/), shellcheck and openssl.');
  process.exit(1);
}

console.error(`installing ${packages.join(' ')} with apt-get ...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
for (const args of [['update', '-qq'], ['install', '-y', '-qq', ...packages]]) {
  const run = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (run.status !== 0) {
    console.error(`apt-get ${args.join(' ')} failed (exit ${run.status})`);
    process.exit(1);
  }
}
const stillMissing = needed.filter((tool) => !onPath(tool.command));
if (stillMissing.length > 0) {
  console.error(`still missing after apt-get: ${stillMissing.map((t) => t.command).join(', ')}`);
  process.exit(1);
}
