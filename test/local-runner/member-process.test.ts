// runningEtcdPid trusts a PID file only while the process has the start time service-ctl.sh recorded: after a
// kill the PID file stays, and the PID may be handed to another program. Real processes (sleep), stopped by PID.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { ProcessGroup, waitUntilGone } from '../support/processes';

const startTimeOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(') ') + 2).split(' ')[22 - 3]!;
};

describe('runningEtcdPid', () => {
  const hostsDir = mkdtempSync(join(tmpdir(), 'etcd-ha-member-process-'));
  const processes = new ProcessGroup();
  after(async () => {
    await processes.stopAll();
    rmSync(hostsDir, { recursive: true, force: true });
  });
  const record = (member: string, pid: number, start: string | undefined) => {
    const runDir = join(hostsDir, member, 'run', 'etcd-ha');
    mkdirSync(runDir, { recursive: true });
    writeFileSync(join(runDir, 'etcd.pid'), `${pid}\n`);
    if (start !== undefined) writeFileSync(join(runDir, 'etcd.proc'), `${start} /usr/bin/etcd\n`);
  };

  it('is the PID while the recorded process runs, and nothing once it is gone, or when the PID is another process now', async () => {
    const member = processes.start('sleep', ['60'], { env: process.env, logFile: join(hostsDir, 'sleep.log') });
    record('infra0', member.pid, startTimeOf(member.pid));
    assert.equal(runningEtcdPid(hostsDir, 'infra0'), member.pid);

    // The same PID with another start time: a process that got the PID after ours died.
    record('infra1', member.pid, String(Number(startTimeOf(member.pid)) - 1));
    assert.equal(runningEtcdPid(hostsDir, 'infra1'), undefined);
    record('infra2', member.pid, undefined);
    assert.equal(runningEtcdPid(hostsDir, 'infra2'), undefined, 'no start time recorded: not trusted');
    assert.equal(runningEtcdPid(hostsDir, 'infra9'), undefined, 'no PID file');

    process.kill(member.pid, 'SIGKILL');
    await waitUntilGone(member.pid);
    assert.equal(runningEtcdPid(hostsDir, 'infra0'), undefined);
  });
});
