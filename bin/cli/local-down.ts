// `etcd-ha local down`: stops every etcd the local hosts started (by the PID their supervisor
// recorded) and removes the local state.
import { existsSync, rmSync } from 'node:fs';
import { localRunner } from './local-cluster';
import { EXIT, type Output } from './output';

export function localDown(output: Output): number {
  const runner = localRunner();
  const home = runner.home;
  if (!existsSync(home.dir)) {
    output.out('no local cluster here: nothing to stop');
    return EXIT.done;
  }
  let failures = 0;
  for (const stop of runner.stopAllMembers()) {
    if (stop.stopped) output.out(`stopped etcd on ${stop.host}`);
    else {
      failures += 1;
      output.err(`could not stop etcd on ${stop.host}: ${stop.error}`);
    }
  }
  if (failures > 0) {
    output.err(`kept ${home.dir}: ${failures} member(s) could not be stopped`);
    return EXIT.failed;
  }
  rmSync(home.dir, { recursive: true, force: true });
  output.out(`removed ${home.dir}`);
  return EXIT.done;
}
