// Runs the real `etcd-ha` command against a private local home, and cleans up the etcd processes
// its simulated hosts started (by the PIDs their supervisor recorded), also when a test fails.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { waitUntilGone } from './processes';
import { etcdUnderTest } from './etcd-under-test';

export const CLI = join(__dirname, '..', '..', 'bin', 'etcd-ha.js');

export interface CliRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export class LocalCliSandbox {
  readonly home: string;

  /** `firstAddress`: where this sandbox's simulated hosts start (keep test ranges apart). */
  constructor(readonly firstAddress: string) {
    etcdUnderTest();
    this.home = join(mkdtempSync(join(tmpdir(), 'etcd-ha-cli-')), 'home');
  }

  get env(): NodeJS.ProcessEnv {
    return {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      ETCD_HA_HOME: this.home,
      ETCD_HA_LOCAL_FIRST_ADDRESS: this.firstAddress,
      // The etcd this run tests (without it the CLI would start the project's 3.5 in the 3.4 pass too).
      ...(process.env.ETCD_BIN_DIR && { ETCD_BIN_DIR: process.env.ETCD_BIN_DIR }),
    };
  }

  run(args: string[], timeoutMs = 180_000): CliRun {
    const result = spawnSync(process.execPath, [CLI, ...args], { env: this.env, encoding: 'utf8', timeout: timeoutMs });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** PIDs of the etcd members the simulated hosts are running, by host name. */
  pids(): Record<string, number> {
    const hostsDir = join(this.home, 'hosts');
    if (!existsSync(hostsDir)) return {};
    const pids: Record<string, number> = {};
    for (const host of readdirSync(hostsDir)) {
      const pidFile = join(hostsDir, host, 'run', 'etcd-ha', 'etcd.pid');
      if (existsSync(pidFile)) pids[host] = Number(readFileSync(pidFile, 'utf8').trim());
    }
    return pids;
  }

  hostFile(host: string, path: string): string {
    return readFileSync(join(this.home, 'hosts', host, path), 'utf8');
  }

  /** Kills whatever is still running and removes the sandbox. */
  async cleanUp(): Promise<void> {
    // Only the etcd service-ctl.sh started: a dead member's PID may belong to another process by now.
    for (const host of Object.keys(this.pids())) {
      const pid = runningEtcdPid(join(this.home, 'hosts'), host);
      if (pid === undefined) continue;
      process.kill(pid, 'SIGKILL');
      await waitUntilGone(pid);
    }
    rmSync(join(this.home, '..'), { recursive: true, force: true });
  }
}
