// MachinePower on one machine: a simulated host is "running" unless this adapter marked it otherwise in
// <root>/run/etcd-ha/machine-state ("stopped": a stopped instance, its etcd stopped by service-ctl.sh; a host whose
// root is gone is "not found"). Only this adapter writes the marker: `stop` and `start` stand in for stopping and
// starting an instance (the drills and `etcd-ha local stop|start`), `retire` for taking a replaced one out of
// service (etcd stopped, marker "stopped", and <root>/run/etcd-ha/replaced-by naming the execution).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EtcdHaError } from '../../core/errors';
import type { MachinePower, MachineRef, RetireOutcome } from '../../ports';

export interface LocalMachinePowerProps {
  /** service-ctl.sh (localScriptsPaths().serviceCtl): stops and starts a host's etcd. */
  readonly serviceCtl: string;
  /** @default - etcd on the PATH */
  readonly etcdBinary?: string;
}

const RUN_DIR = join('run', 'etcd-ha');
export const MACHINE_STATE_FILE = join(RUN_DIR, 'machine-state');
export const REPLACED_BY_FILE = join(RUN_DIR, 'replaced-by');

export class LocalMachinePower implements MachinePower {
  constructor(private readonly props: LocalMachinePowerProps) {
    if (!props.serviceCtl.startsWith('/')) throw new RangeError(`serviceCtl must be an absolute path, got "${props.serviceCtl}"`);
  }

  async stateOf(machine: MachineRef): Promise<string> {
    const root = rootOf(machine);
    if (!existsSync(root)) return 'not found';
    const marker = join(root, MACHINE_STATE_FILE);
    return existsSync(marker) ? readFileSync(marker, 'utf8').trim() || 'running' : 'running';
  }

  /** As an instance stops: etcd stopped (SIGTERM, then SIGKILL), data dir kept, marker "stopped". */
  async stop(machine: MachineRef): Promise<void> {
    const root = this.existing(machine);
    // Marked first, as an instance is "stopping" before its etcd is gone: a watcher never sees a dead etcd on a running host.
    mkdirSync(join(root, RUN_DIR), { recursive: true });
    writeFileSync(join(root, MACHINE_STATE_FILE), 'stopped\n');
    this.serviceCtl(root, 'stop');
  }

  /** As a stopped instance starts again: marker gone, etcd started from its data dir (as systemd would at boot). */
  async start(machine: MachineRef): Promise<void> {
    const root = this.existing(machine);
    if (existsSync(join(root, REPLACED_BY_FILE))) throw new EtcdHaError(`host ${machine.name} was retired (replaced by ${readFileSync(join(root, REPLACED_BY_FILE), 'utf8').trim()}): it does not come back`);
    rmSync(join(root, MACHINE_STATE_FILE), { force: true });
    this.serviceCtl(root, 'start');
  }

  async retire(machine: MachineRef, options: { readonly clusterName: string; readonly replacedBy: string }): Promise<RetireOutcome> {
    const stateBefore = await this.stateOf(machine);
    if (stateBefore === 'not found') return { stateBefore, stopped: false, tagged: false };
    const root = rootOf(machine);
    mkdirSync(join(root, RUN_DIR), { recursive: true });
    writeFileSync(join(root, REPLACED_BY_FILE), `${options.replacedBy}\n`);
    writeFileSync(join(root, MACHINE_STATE_FILE), 'stopped\n');
    this.serviceCtl(root, 'stop');
    return { stateBefore, stopped: stateBefore !== 'stopped', tagged: true };
  }

  private existing(machine: MachineRef): string {
    const root = rootOf(machine);
    if (!existsSync(root)) throw new EtcdHaError(`host ${machine.name} has no root dir ${root}`);
    return root;
  }

  private serviceCtl(root: string, action: 'stop' | 'start'): void {
    const run = spawnSync('bash', [this.props.serviceCtl, action, 'etcd'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ETCD_HA_ROOT: root, ...(this.props.etcdBinary !== undefined && { ETCD_BINARY: this.props.etcdBinary }) },
      timeout: 30_000,
    });
    if (run.status !== 0) throw new EtcdHaError(`service-ctl.sh ${action} etcd on ${root} exited ${run.status}: ${run.stderr.trim()}`);
  }
}

function rootOf(machine: MachineRef): string {
  if (machine.root === undefined || !machine.root.startsWith('/')) throw new RangeError(`machine ${machine.name}: root must be the simulated host's absolute root dir, got "${machine.root}"`);
  return machine.root;
}
