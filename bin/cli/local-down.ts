// `etcd-ha local down`: stops every etcd the local hosts started (by the PID their supervisor
// recorded) and removes the local state.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { localHome } from '../../lambdas/local-runner/local-home';
import { localScriptsPaths } from '../../lambdas/adapters/local/local-host-runner';
import type { Output } from './output';

export function localDown(output: Output): number {
  const home = localHome();
  if (!existsSync(home.dir)) {
    output.out('no local cluster here: nothing to stop');
    return 0;
  }
  const hosts = existsSync(home.hostsDir) ? readdirSync(home.hostsDir) : [];
  let failures = 0;
  for (const host of hosts) {
    const root = join(home.hostsDir, host);
    const stop = spawnSync(localScriptsPaths().serviceCtl, ['stop', 'etcd'], {
      env: { PATH: process.env.PATH, ETCD_HA_ROOT: root },
      encoding: 'utf8',
    });
    if (stop.status === 0) output.out(`stopped etcd on ${host}`);
    else {
      failures += 1;
      output.err(`could not stop etcd on ${host}: ${stop.stderr.trim()}`);
    }
  }
  if (failures > 0) {
    output.err(`kept ${home.dir}: ${failures} member(s) could not be stopped`);
    return 1;
  }
  rmSync(home.dir, { recursive: true, force: true });
  output.out(`removed ${home.dir}`);
  return 0;
}
