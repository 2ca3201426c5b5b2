#!/usr/bin/env node
// Runs the test files with Node's built-in runner, in two passes:
//   1. this machine's Node with the etcd on the PATH (Debian bookworm's 3.4): every test file;
//   2. the Node that Lambda runs (24) with etcd 3.5 (what kubeadm runs, in .etcd/3.5): every file that
//      starts real etcd (*.etcd.test.ts) and the suites of code that runs in Lambda (core, steps, entry,
//      adapters and their moto integration tests).
// So every real-etcd suite runs on both etcd versions. Each pass sets ETCD_BIN_DIR (and puts it first
// on the PATH); the suites name the etcd version they ran on in their titles.
//
// Usage: node scripts/run-tests.mjs [--etcd=3.4|3.5] [FILTER ...]
//   FILTER narrows a pass to the files whose path contains it (`npm test -- pki`); --etcd runs one pass.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { ETCD_35_BIN_DIR, etcdOnPathDir, etcdVersionIn } from './etcd-bin-dirs.mjs';
import { LAMBDA_NODE, motoVersion } from './test-tool-versions.mjs';

/** A hung test fails after this long instead of stalling the run. */
const PER_TEST_TIMEOUT_MS = 240_000;
/** And a pass that still does not end is stopped. */
const PER_PASS_TIMEOUT_MS = 25 * 60_000;

/** Suites of the code Lambda runs (besides the real-etcd ones): run on Lambda's Node too. */
const LAMBDA_SUITES = ['test/core/', 'test/steps/', 'test/entry/', 'test/adapters/', 'test/integration/'];
/** CDK synth and deploy run on a developer's machine, not in Lambda. */
const NOT_IN_LAMBDA = ['test/integration/aws/cdk-deploy.moto.test.ts'];

function findTests(dir) {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return findTests(path);
    return path.endsWith('.test.ts') ? [path] : [];
  });
}

const args = process.argv.slice(2);
const onlyEtcd = args.find((a) => a.startsWith('--etcd='))?.slice('--etcd='.length);
const filters = args.filter((a) => !a.startsWith('--'));
const all = findTests('test').sort();
const startsEtcd = (file) => file.endsWith('.etcd.test.ts');
const runsInLambda = (file) => LAMBDA_SUITES.some((dir) => file.startsWith(dir)) && !NOT_IN_LAMBDA.includes(file);

const etcd34Dir = etcdOnPathDir();
const passes = [
  { etcd: '3.4', node: process.execPath, binDir: etcd34Dir, files: all },
  { etcd: '3.5', node: LAMBDA_NODE.binary, binDir: ETCD_35_BIN_DIR, files: all.filter((f) => startsEtcd(f) || runsInLambda(f)) },
]
  .filter((pass) => onlyEtcd === undefined || pass.etcd === onlyEtcd)
  .map((pass) => ({ ...pass, files: pass.files.filter((f) => filters.length === 0 || filters.some((x) => f.includes(x))) }))
  .filter((pass) => pass.files.length > 0);
if (passes.length === 0) {
  console.error(`no test files match ${[onlyEtcd && `--etcd=${onlyEtcd}`, ...filters].filter(Boolean).join(', ')}`);
  process.exit(1);
}

// The workflow definitions local runs read (statemachines/rendered/), rendered from the CDK chains as `npm run build`
// does; test/statemachines/rendered-definitions.test.ts checks them against the chains.
const rendered = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/render-definitions.ts'], { stdio: 'inherit' });
if (rendered.status !== 0) process.exit(rendered.status ?? 1);

const versionOf = (binary) => spawnSync(binary, ['--version'], { encoding: 'utf8' }).stdout?.trim() || 'not runnable';
const moto = motoVersion();
console.log('# test tools');
for (const pass of passes) {
  const version = pass.binDir ? etcdVersionIn(pass.binDir) : undefined;
  if (!version) {
    console.error(`no etcd ${pass.etcd} in ${pass.binDir ?? 'the PATH'}: run node scripts/ensure-etcd.mjs --require-3.5`);
    process.exit(1);
  }
  pass.version = version;
  console.log(`#   etcd ${version} (${pass.binDir}) on Node ${versionOf(pass.node)} (${pass.node}): ${pass.files.length} files`);
}
console.log(`#   moto_server: ${moto.version ?? moto.error}`);

let failed = false;
for (const [index, pass] of passes.entries()) {
  console.log(`\n# pass ${index + 1}/${passes.length}: etcd ${pass.version}, Node ${versionOf(pass.node)}`);
  const result = spawnSync(
    pass.node,
    ['--import', 'tsx', '--test', '--test-concurrency=1', `--test-timeout=${PER_TEST_TIMEOUT_MS}`, ...pass.files],
    {
      stdio: 'inherit',
      timeout: PER_PASS_TIMEOUT_MS,
      killSignal: 'SIGKILL',
      env: { ...process.env, ETCD_BIN_DIR: pass.binDir, PATH: `${pass.binDir}:${process.env.PATH}` },
    },
  );
  if (result.error) console.error(`# pass ${index + 1} stopped: ${result.error.message}`);
  if (result.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
