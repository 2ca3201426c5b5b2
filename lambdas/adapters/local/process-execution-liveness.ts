// ExecutionLiveness on one machine: a local workflow runs inside the process of the command that started it,
// so its execution runs as long as that process does. The reference is "local:<pid>:<start time>", the start
// time being field 22 of /proc/<pid>/stat (clock ticks since boot): the kernel hands PIDs out again, and only a
// process with the recorded start time is the one that took the lock. Linux only, as the rest of local mode.
import { readFileSync } from 'node:fs';
import { EtcdHaError } from '../../core/errors';
import type { ExecutionLiveness } from '../../ports';

const LOCAL_REF = /^local:([1-9]\d*):(\d+)$/;

/** /proc/PID/stat fields from the state (3) on: split after the last ")" (the command name may hold spaces). */
function statFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(') ') + 2).trim().split(' ');
}

/** Field `n` (1-based, as in proc(5), n ≥ 3) of /proc/PID/stat. */
const field = (fields: readonly string[], n: number): string | undefined => fields[n - 3];

/** "local:<pid>:<start time>" of process `pid` (this process by default): the `holder` of a local execution. */
export function localExecutionRef(pid: number = process.pid): string {
  const fields = statFields(pid);
  const start = fields && field(fields, 22);
  if (start === undefined) throw new EtcdHaError(`process ${pid} has no /proc/${pid}/stat: it does not run, or this is not Linux`);
  return `local:${pid}:${start}`;
}

export class ProcessExecutionLiveness implements ExecutionLiveness {
  /** Ended unless the process exists, is no zombie (killed, not yet reaped) and has the recorded start time. */
  async hasEnded(ref: string): Promise<boolean> {
    const match = LOCAL_REF.exec(ref);
    if (match === null) throw new EtcdHaError(`lock holder "${ref}" is not a local execution reference (local:<pid>:<start time>): cannot tell whether it still runs`);
    const [, pid, start] = match;
    const fields = statFields(Number(pid));
    if (fields === undefined) return true;
    const state = field(fields, 3);
    return state === 'Z' || state === 'X' || field(fields, 22) !== start;
  }
}
