// The local composition root for workflows: the definitions rendered at build time, the step handlers over the
// local adapters, and the chores of the simulated hosts (the next free loopback address, stopping every member).
// `etcd-ha local …` and the tests run workflows through it; it never loads aws-cdk-lib.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import type { BackupMetadata, ClusterRecord } from '../ports';
import { createProvisionSteps } from '../steps';
import { createReplaceSteps, type ReplaceDeps } from '../steps/replace';
import { createMaintenanceSteps } from '../steps/maintenance';
import { createHealthCheckSteps } from '../steps/health-check';
import { createDeleteSteps } from '../steps/delete';
import type { StepHandler } from '../steps/deps';
import { recordedSpec } from '../steps/recorded-spec';
import { readHealthcheckClient } from '../steps/pki-secrets';
import type { ClusterSpec } from '../core/spec';
import { localScriptsPaths } from '../adapters/local/local-host-runner';
import { LocalMachinePower } from '../adapters/local/local-machine-power';
import type { AslDefinition } from './asl';
import { loadDefinition, type LocalWorkflowName } from './definitions';
import { localBackups, localControlPlane, localDeletion, localDeps, localDrills, localUploadSlots } from './local-deps';
import { createBackupSteps, type BackupDeps } from '../steps/backup';
import { createHandoffSteps } from '../steps/backup/handoff-steps';
import { createDrillSteps, type DrillDeps } from '../steps/drill';
import { createRestoreSteps } from '../steps/restore';
import { createScaleSteps } from '../steps/scale';
import { createAdoptSteps } from '../steps/adopt';
import { createConnectSteps, type ConnectDeps } from '../steps/control-plane';
import { localHome, type LocalHome } from './local-home';
import { etcdVersionOf, localEtcdBinary } from './etcd-binaries';
import { runWorkflow, type WorkflowEvent, type WorkflowResult } from './run-workflow';
import { LocalRunEvents } from './run-events';
import { localExecutionRef } from '../adapters/local/process-execution-liveness';
import type { RunRequest, WorkflowOutcome, WorkflowRunner } from '../workflow-runner/port';

export type { LocalWorkflowName } from './definitions';
export type { WorkflowEvent, WorkflowResult } from './run-workflow';

/** One backup as `etcd-ha local backups` lists it. */
export interface LocalBackupEntry {
  readonly name: string;
  readonly takenAt: string;
  readonly complete: boolean;
  readonly revision?: number;
  readonly bytes?: number;
  readonly sha256?: string;
  readonly location?: string;
}

export interface LocalRunOptions {
  readonly onEvent?: (event: WorkflowEvent) => void;
  readonly executionName?: string;
  /** Milliseconds before each shortened retry (see runWorkflow). */
  readonly retryMs?: number;
  /** Another definition of this workflow (tests render variants, e.g. fewer health checks). @default - the rendered one */
  readonly definition?: AslDefinition;
  /** Wraps the step handlers, e.g. to count calls or to act while a Wait passes. */
  readonly wrapSteps?: (steps: Record<string, StepHandler>) => Record<string, StepHandler>;
}

export interface LocalRunnerOptions {
  /** @default process.env (ETCD_HA_HOME, ETCD_HA_LOCAL_FIRST_ADDRESS, ETCD_BIN_DIR) */
  readonly env?: NodeJS.ProcessEnv;
  /** @default - localHome(env) */
  readonly home?: LocalHome;
  /** @default - localDeps(home, …) */
  readonly deps?: ReplaceDeps;
  /** BackupCluster's adapters in place of localBackups(home) (tests: another retention, a clock). @default - none */
  readonly backupOverrides?: Partial<BackupDeps>;
  /** DrillRestore's adapters in place of localDrills(home) (tests: a metrics recorder). @default - none */
  readonly drillOverrides?: Partial<DrillDeps>;
  /** ConnectControlPlane's adapters in place of localControlPlane(home) (tests: another health endpoint). @default - none */
  readonly connectOverrides?: Partial<ConnectDeps>;
}

export class LocalWorkflowRunner implements WorkflowRunner {
  readonly home: LocalHome;
  readonly deps: ReplaceDeps;
  private readonly etcdBinary: string | undefined;
  private readonly backupOverrides: Partial<BackupDeps>;
  private readonly drillOverrides: Partial<DrillDeps>;
  private readonly connectOverrides: Partial<ConnectDeps>;

  constructor(options: LocalRunnerOptions = {}) {
    this.backupOverrides = options.backupOverrides ?? {};
    this.drillOverrides = options.drillOverrides ?? {};
    this.connectOverrides = options.connectOverrides ?? {};
    const env = options.env ?? process.env;
    this.home = options.home ?? localHome(env);
    this.etcdBinary = localEtcdBinary(env);
    this.deps =
      options.deps ??
      localDeps(this.home, {
        // Tests move the simulated hosts off 127.0.0.11+ so that they never touch a cluster `npm start` left running.
        ...(env.ETCD_HA_LOCAL_FIRST_ADDRESS && { firstAddress: env.ETCD_HA_LOCAL_FIRST_ADDRESS }),
        ...(this.etcdBinary !== undefined && { etcdBinary: this.etcdBinary }),
      });
  }

  /** What the simulated hosts start, e.g. "etcd 3.5.16 (/path/to/etcd)" (asks the binary: only when shown). */
  describeEtcd(): string {
    return `etcd ${etcdVersionOf(this.etcdBinary) ?? '(version unknown)'} (${this.etcdBinary ?? 'on the PATH'})`;
  }

  /** The port (workflow-runner/port.ts): the run as the one event stream the command line prints, for local and AWS alike. */
  async execute(request: RunRequest & Pick<LocalRunOptions, 'retryMs' | 'definition' | 'wrapSteps'>): Promise<WorkflowOutcome> {
    const events = new LocalRunEvents();
    const onEvent = request.onEvent;
    const name = request.name ?? `local-${Date.now().toString(36)}`;
    const result = await this.run(request.workflow, request.input, {
      executionName: name,
      ...(request.retryMs !== undefined && { retryMs: request.retryMs }),
      ...(request.definition && { definition: request.definition }),
      ...(request.wrapSteps && { wrapSteps: request.wrapSteps }),
      ...(onEvent && {
        onEvent: (raw: WorkflowEvent) => {
          const event = events.event(raw);
          if (event) onEvent(event);
        },
      }),
    });
    const failure = { ...(result.error !== undefined && { error: result.error }), ...(result.cause !== undefined && { cause: result.cause }) };
    onEvent?.({ kind: 'ended', status: result.status, at: Date.now(), ...(result.output !== undefined && { output: result.output }), ...failure });
    return { status: result.status, name, executionId: localExecutionRef(), transitions: result.transitions, ...(result.output !== undefined && { output: result.output }), ...failure };
  }

  run(workflow: LocalWorkflowName, input: unknown, options: LocalRunOptions = {}): Promise<WorkflowResult> {
    const created = this.steps(workflow);
    return runWorkflow({
      definition: options.definition ?? loadDefinition(workflow),
      steps: options.wrapSteps ? options.wrapSteps(created) : created,
      input,
      ...(options.onEvent && { onEvent: options.onEvent }),
      ...(options.executionName && { executionName: options.executionName }),
      ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
    });
  }

  private steps(workflow: LocalWorkflowName): Record<string, StepHandler> {
    switch (workflow) {
      case 'provision-cluster':
        return createProvisionSteps(this.deps);
      case 'replace-member':
        return createReplaceSteps(this.deps);
      case 'set-maintenance':
        return createMaintenanceSteps(this.deps);
      case 'check-cluster-health':
        return createHealthCheckSteps(this.deps);
      case 'delete-cluster':
        // The same store and registry objects find and delete the cluster's secrets and record (local adapters).
        return createDeleteSteps({ ...this.deps, ...localDeletion(this.home, this.deps) });
      case 'backup-cluster':
        return createBackupSteps({ ...this.deps, ...localBackups(this.home), ...this.backupOverrides });
      case 'drill-restore': {
        const drills = { ...localDrills(this.home), ...this.drillOverrides };
        return { ...createDrillSteps({ ...this.deps, ...drills }), ...createHandoffSteps({ handoff: drills.handoff, log: this.deps.log }) };
      }
      case 'restore-cluster':
        // The backups and the handoff of the home (the backup file itself is what each local host fetches).
        return createRestoreSteps({ ...this.deps, ...localBackups(this.home), ...this.backupOverrides });
      case 'scale-cluster':
        return createScaleSteps(this.deps);
      case 'adopt-cluster':
        return createAdoptSteps({ ...this.deps, uploadSlots: localUploadSlots(this.home) });
      case 'connect-control-plane':
        return createConnectSteps({ ...this.deps, ...localControlPlane(this.home), ...this.connectOverrides });
    }
  }

  /** The cluster's backups under the home (newest first, each with its manifest's figures) and its last good one. */
  async listBackups(clusterName: string): Promise<{ backups: LocalBackupEntry[]; lastGood: BackupMetadata | undefined }> {
    const { backups: store, lastBackup } = { ...localBackups(this.home), ...this.backupOverrides };
    const listed = await store.list(clusterName);
    const backups = await Promise.all(
      listed.map(async (b): Promise<LocalBackupEntry> => {
        const meta = b.complete ? await store.read(clusterName, b.name) : undefined;
        return { name: b.name, takenAt: b.takenAt.toISOString(), complete: b.complete, ...(meta && { revision: meta.revision, bytes: meta.bytes, sha256: meta.sha256, location: meta.location }) };
      }),
    );
    return { backups, lastGood: await lastBackup.get(clusterName) };
  }

  /** The spec of the recorded cluster: its members and the removed ones awaiting their replacements. */
  recordedSpec(record: ClusterRecord): ClusterSpec {
    return recordedSpec(record);
  }

  /** The healthcheck-client certificate, key and CA of a recorded cluster (for etcdctl and `local status`). */
  healthcheckClient(secrets: { readonly ca?: string; readonly healthcheckClient?: string; readonly apiserverEtcdClient?: string }): Promise<{ caCertPem: string; certPem: string; keyPem: string }> {
    return readHealthcheckClient(this.deps.secrets, { ca: secrets.ca!, healthcheckClient: secrets.healthcheckClient!, apiserverEtcdClient: secrets.apiserverEtcdClient!, members: {} });
  }

  /** The next loopback address no local host has used (a replacement never reuses a dead member's). */
  nextFreeAddress(record: ClusterRecord): string {
    const used = new Set(record.members.map((m) => m.address));
    for (const host of this.hostNames()) {
      const envFile = join(this.home.hostsDir, host, 'etc', 'etcd', 'etcd.conf');
      if (!existsSync(envFile)) continue;
      const match = /^ETCD_LISTEN_PEER_URLS=https:\/\/([0-9.]+):/m.exec(readFileSync(envFile, 'utf8'));
      if (match) used.add(match[1] as string);
    }
    const numbers = [...used].map((a) => a.split('.').reduce((n, octet) => n * 256 + Number(octet), 0));
    let next = Math.max(...numbers) + 1;
    const asAddress = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
    while (used.has(asAddress(next))) next += 1;
    return asAddress(next);
  }

  /** Stops the etcd of every simulated host (by the PID its supervisor recorded); says how each went. */
  stopAllMembers(): Array<{ host: string; stopped: boolean; error?: string }> {
    return this.hostNames().map((host) => {
      const env = { PATH: process.env.PATH, ETCD_HA_ROOT: join(this.home.hostsDir, host) };
      const stop = spawnSync(localScriptsPaths().serviceCtl, ['stop', 'etcd'], { env, encoding: 'utf8' });
      // A simulated control-plane host also runs a stand-in kube-apiserver (ConnectControlPlane): it goes down too.
      const apiServer = existsSync(join(env.ETCD_HA_ROOT, 'run', 'etcd-ha', 'kube-apiserver.pid'))
        ? spawnSync(localScriptsPaths().localApiServerKubelet, ['stop'], { env, encoding: 'utf8' })
        : undefined;
      const failed = [stop, apiServer].find((run) => run !== undefined && run.status !== 0);
      return failed === undefined ? { host, stopped: true } : { host, stopped: false, error: failed.stderr.trim() };
    });
  }

  /** Stops or starts a member's simulated host, as an instance is stopped for a resize and started again. */
  async power(action: 'stop' | 'start', member: string): Promise<void> {
    const machines = new LocalMachinePower({ serviceCtl: localScriptsPaths().serviceCtl, ...(this.etcdBinary !== undefined && { etcdBinary: this.etcdBinary }) });
    const host = { name: member, root: join(this.home.hostsDir, member) };
    if (action === 'stop') await machines.stop(host);
    else await machines.start(host);
  }

  private hostNames(): string[] {
    return existsSync(this.home.hostsDir) ? readdirSync(this.home.hostsDir) : [];
  }
}
