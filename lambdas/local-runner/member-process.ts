// The etcd process of a simulated host, as service-ctl.sh recorded it: run/etcd-ha/etcd.pid holds its PID and
// run/etcd-ha/etcd.proc its start time (field 22 of /proc/PID/stat) and binary. A PID file outlives its process
// (a killed member's stays behind) and the kernel hands the PID out again: only a process that still has the
// recorded start time is that etcd. Whoever signals a member goes through here, never through the bare PID.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** /proc/PID/stat fields from the state (3) on: split after the last ")" (the command name may hold spaces). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(') ') + 2).trim().split(' ');
  } catch {
    return undefined;
  }
}

function readOrUndefined(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, 'utf8').trim() : undefined;
}

/**
 * The PID of the member's etcd when that process is still running (not a zombie) and is the one service-ctl.sh
 * started (same start time); undefined otherwise.
 */
export function runningEtcdPid(hostsDir: string, member: string): number | undefined {
  const runDir = join(hostsDir, member, 'run', 'etcd-ha');
  const pid = Number(readOrUndefined(join(runDir, 'etcd.pid')));
  const recordedStart = readOrUndefined(join(runDir, 'etcd.proc'))?.split(/\s+/)[0];
  if (!Number.isInteger(pid) || pid <= 0 || recordedStart === undefined) return undefined;
  const fields = statFields(pid);
  if (fields === undefined) return undefined;
  const [state] = fields;
  const start = fields[22 - 3];
  return state !== 'Z' && start === recordedStart ? pid : undefined;
}
