// The `etcd-ha` command line as a user meets it: --help on every command (exit 0, a usage line), --version, the
// exit codes (0 done, 1 failed, 2 usage, 3 not healthy), -o json on every command that reports a cluster or an
// execution, and nothing heavy loaded for help: neither --help nor a local run loads aws-cdk-lib.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildProgram, main } from '../../bin/cli/main';
import { CLI } from '../support/local-cli';

async function run(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Every command's words, e.g. ['local', 'up'], leaves and groups alike. */
function commandPaths(command: Command, prefix: string[] = []): string[][] {
  return command.commands.filter((c) => c.name() !== 'help').flatMap((c) => [[...prefix, c.name()], ...commandPaths(c, [...prefix, c.name()])]);
}

const program = buildProgram({ out: () => undefined, err: () => undefined }, { code: 0 });
const PATHS = commandPaths(program);

/** Commands that report a cluster or an execution. */
const REPORTING = ['local up', 'local status', 'local replace', 'local pause', 'local resume', 'provision', 'replace', 'pause', 'resume', 'watch'];

describe('etcd-ha command line', () => {
  it('knows every command it had', () => {
    const names = PATHS.map((p) => p.join(' '));
    for (const expected of ['local up', 'local status', 'local env', 'local down', 'local kill', 'local replace', 'local heal', 'local pause', 'local resume', 'local stop', 'local start', 'provision', 'replace', 'pause', 'resume', 'watch']) {
      assert.ok(names.includes(expected), `${expected} is a command`);
    }
  });

  for (const path of [[], ...PATHS]) {
    it(`etcd-ha ${path.join(' ')} --help: exit 0, a usage line and the exit codes`, async () => {
      const { code, out, err } = await run([...path, '--help']);
      assert.equal(code, 0, err);
      assert.match(out, new RegExp(`^Usage: etcd-ha${path.map((w) => ` ${w}`).join('')}`));
      if (path.length === 0 || path.join(' ') === 'local') assert.match(out, /Exit codes:\n {2}0 {2}done[\s\S]*\n {2}2 {2}usage error[\s\S]*\n {2}3 {2}not healthy/);
    });
  }

  for (const name of REPORTING) {
    it(`etcd-ha ${name} offers -o json`, async () => {
      const { out } = await run([...name.split(' '), '--help']);
      assert.match(out, /-o, --output <format>.*json/s);
    });
  }

  it('--version prints the package version, exit 0', async () => {
    const { code, out } = await run(['--version']);
    assert.equal(code, 0);
    assert.equal(out, (JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }).version);
  });

  const usage: string[][] = [[], ['local'], ['bogus'], ['local', 'bogus'], ['local', 'up', '--bogus-flag'], ['local', 'up', '--members', 'three'], ['local', 'kill'], ['local', 'status', '-o', 'yaml']];
  for (const argv of usage) {
    it(`etcd-ha ${argv.join(' ')} → exit 2, no stack trace`, async () => {
      const { code, out, err } = await run(argv);
      assert.equal(code, 2, `${out}\n${err}`);
      assert.doesNotMatch(err, /\n\s+at /, 'no stack trace');
    });
  }

  it('etcd-ha local alone prints the help of local', async () => {
    const { err } = await run(['local']);
    assert.match(err, /^Usage: etcd-ha local \[options\] \[command\]/);
    assert.match(err, /up \[options\]/);
  });
});

/** Runs bin/etcd-ha.js with a preload that writes every module it loaded to a file at exit. */
function modulesLoadedBy(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; modules: string[]; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'etcd-ha-modules-'));
  try {
    const list = join(dir, 'modules.json');
    const preload = join(dir, 'preload.cjs');
    writeFileSync(preload, `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(list)}, JSON.stringify(Object.keys(require.cache))));\n`);
    const child = spawnSync(process.execPath, ['--require', preload, CLI, ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: dir, ...env }, timeout: 120_000 });
    return { status: child.status, modules: JSON.parse(readFileSync(list, 'utf8')) as string[], stderr: child.stderr };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const heavy = (modules: string[], name: string) => modules.filter((m) => m.includes(`/node_modules/${name}/`));

describe('what etcd-ha loads', () => {
  it('--help loads neither aws-cdk-lib nor the AWS SDK nor the etcd client', () => {
    const { status, modules } = modulesLoadedBy(['--help']);
    assert.equal(status, 0);
    for (const name of ['aws-cdk-lib', '@aws-sdk', 'etcd3', 'aws-local-stepfunctions', 'node-forge']) assert.deepEqual(heavy(modules, name), [], `${name} not loaded`);
  });

  it('a local run (ProvisionCluster up to a failing etcd) never loads aws-cdk-lib', () => {
    const base = mkdtempSync(join(tmpdir(), 'etcd-ha-no-cdk-'));
    try {
      const binDir = join(base, 'bin');
      mkdirSync(binDir);
      writeFileSync(join(binDir, 'etcd'), '#!/bin/sh\necho "stand-in etcd: this test starts nothing" >&2\nexit 1\n');
      chmodSync(join(binDir, 'etcd'), 0o755);
      const { status, modules, stderr } = modulesLoadedBy(['local', 'up', '--members', '1'], {
        ETCD_HA_HOME: join(base, 'home'),
        ETCD_BIN_DIR: binDir,
        ETCD_HA_LOCAL_FIRST_ADDRESS: '127.0.0.79',
      });
      assert.equal(status, 1, stderr);
      assert.match(stderr, /ProvisionCluster failed/);
      assert.ok(heavy(modules, 'aws-local-stepfunctions').length > 0, 'the workflow ran in the local interpreter');
      assert.deepEqual(heavy(modules, 'aws-cdk-lib'), [], 'aws-cdk-lib not loaded');
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });
});
