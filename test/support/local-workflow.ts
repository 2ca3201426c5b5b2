// Runs ProvisionCluster in-process with the local adapters, in a private home, and cleans up the
// etcd processes its simulated hosts started (by their recorded PIDs), also when a test fails.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { after } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderAsl } from '../../statemachines/render-asl';
import { PROVISION_STEPS, provisionClusterDefinition } from '../../statemachines/provision-cluster';
import { REPLACE_STEPS, replaceMemberDefinition } from '../../statemachines/replace-member';
import { SCALE_STEPS, scaleClusterDefinition } from '../../statemachines/scale-cluster';
import { ADOPT_STEPS, adoptClusterDefinition } from '../../statemachines/adopt-cluster';
import type { ReplaceDeps } from '../../lambdas/steps/replace';
import type { ProvisionDeps } from '../../lambdas/steps';
import { localDeps } from '../../lambdas/local-runner/local-deps';
import { localHome, type LocalHome } from '../../lambdas/local-runner/local-home';
import { LocalWorkflowRunner, type WorkflowEvent, type WorkflowResult } from '../../lambdas/local-runner/local-workflow-runner';
import type { StepHandler } from '../../lambdas/steps/deps';
import type { HostRunner } from '../../lambdas/ports';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';
import { waitUntilGone } from './processes';
import { etcdUnderTest } from './etcd-under-test';

export interface ProvisionRun {
  readonly result: WorkflowResult;
  readonly calls: Record<string, number>;
}

export class LocalWorkflowSandbox {
  readonly home: LocalHome;
  private readonly base: string;

  constructor(readonly firstAddress: string) {
    etcdUnderTest();
    this.base = mkdtempSync(join(tmpdir(), 'etcd-ha-wf-'));
    this.home = localHome({ ETCD_HA_HOME: join(this.base, 'home') });
  }

  deps(wrapRunner?: (runner: HostRunner) => HostRunner): ReplaceDeps {
    const deps = localDeps(this.home, { firstAddress: this.firstAddress });
    return wrapRunner ? { ...deps, runner: wrapRunner(deps.runner) } : deps;
  }

  /** Runs the workflow; counts how often each step handler was invoked. */
  async provision(spec: unknown, options: { deps?: ProvisionDeps; healthCheckAttempts?: number; onEvent?: (e: WorkflowEvent) => void } = {}): Promise<ProvisionRun> {
    const calls: Record<string, number> = {};
    const definition = renderAsl(PROVISION_STEPS, (scope, functions) =>
      provisionClusterDefinition(scope, { functions, healthCheckAttempts: options.healthCheckAttempts ?? 30 }),
    );
    const result = await this.runner(options.deps ?? this.deps()).run('provision-cluster', spec, {
      definition,
      wrapSteps: (steps) => counting(steps, calls),
      ...(options.onEvent && { onEvent: options.onEvent }),
    });
    return { result, calls };
  }

  /** Runs ReplaceMember; counts how often each step handler was invoked. */
  async replace(
    input: unknown,
    options: {
      deps?: ReplaceDeps;
      executionName?: string;
      retryMs?: number;
      lockWaitAttempts?: number;
      healthCheckAttempts?: number;
      onEvent?: (e: WorkflowEvent) => void;
      /** Wraps the step handlers, e.g. to act while Wait Grace Period "passes" (locally it waits 50 ms). */
      wrapSteps?: (steps: Record<string, StepHandler>) => Record<string, StepHandler>;
    } = {},
  ): Promise<ProvisionRun> {
    const calls: Record<string, number> = {};
    const definition = renderAsl(REPLACE_STEPS, (scope, functions) =>
      replaceMemberDefinition(scope, { functions, lockWaitAttempts: options.lockWaitAttempts ?? 10, healthCheckAttempts: options.healthCheckAttempts ?? 30 }),
    );
    const result = await this.runner(options.deps ?? this.deps()).run('replace-member', input, {
      definition,
      wrapSteps: (steps) => counting(options.wrapSteps ? options.wrapSteps(steps) : steps, calls),
      ...(options.executionName && { executionName: options.executionName }),
      ...(options.retryMs !== undefined && { retryMs: options.retryMs }),
      ...(options.onEvent && { onEvent: options.onEvent }),
    });
    return { result, calls };
  }

  /** Runs ScaleCluster; counts how often each step handler was invoked. */
  async scale(input: unknown, options: { deps?: ReplaceDeps; healthCheckAttempts?: number; onEvent?: (e: WorkflowEvent) => void } = {}): Promise<ProvisionRun> {
    const calls: Record<string, number> = {};
    const definition = renderAsl(SCALE_STEPS, (scope, functions) =>
      scaleClusterDefinition(scope, { functions, lockWaitAttempts: 10, healthCheckAttempts: options.healthCheckAttempts ?? 60 }),
    );
    const result = await this.runner(options.deps ?? this.deps()).run('scale-cluster', input, {
      definition,
      wrapSteps: (steps) => counting(steps, calls),
      ...(options.onEvent && { onEvent: options.onEvent }),
    });
    return { result, calls };
  }

  /** Runs AdoptCluster; counts how often each step handler was invoked. */
  async adopt(input: unknown, options: { executionName?: string; onEvent?: (e: WorkflowEvent) => void } = {}): Promise<ProvisionRun> {
    const calls: Record<string, number> = {};
    const definition = renderAsl(ADOPT_STEPS, (scope, functions) => adoptClusterDefinition(scope, { functions, lockWaitAttempts: 10, healthCheckAttempts: 60 }));
    const result = await this.runner(this.deps()).run('adopt-cluster', input, {
      definition,
      wrapSteps: (steps) => counting(steps, calls),
      ...(options.executionName && { executionName: options.executionName }),
      ...(options.onEvent && { onEvent: options.onEvent }),
    });
    return { result, calls };
  }

  /** The local runner over this sandbox's home, with these deps (the tests render variants of the definitions). */
  private runner(deps: ProvisionDeps | ReplaceDeps): LocalWorkflowRunner {
    return new LocalWorkflowRunner({ home: this.home, deps: deps as ReplaceDeps });
  }

  pidOf(host: string): number | undefined {
    const file = join(this.home.hostsDir, host, 'run', 'etcd-ha', 'etcd.pid');
    return existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  }

  async cleanUp(): Promise<void> {
    const hosts = existsSync(this.home.hostsDir) ? readdirSync(this.home.hostsDir) : [];
    for (const host of hosts) {
      // Only the etcd service-ctl.sh started: a dead member's PID may belong to another process by now.
      const pid = runningEtcdPid(this.home.hostsDir, host);
      if (pid !== undefined) process.kill(pid, 'SIGKILL');
      if (pid !== undefined) await waitUntilGone(pid);
    }
    rmSync(this.base, { recursive: true, force: true });
  }
}

/**
 * Call inside a describe(): a factory of sandboxes, each cleaned up (every etcd its hosts started, stopped by
 * PID) after the suite, also when a test fails.
 */
export function sandboxesOfSuite(): (firstAddress: string) => LocalWorkflowSandbox {
  const sandboxes: LocalWorkflowSandbox[] = [];
  after(async () => {
    for (const s of sandboxes) await s.cleanUp();
  });
  return (firstAddress) => {
    const s = new LocalWorkflowSandbox(firstAddress);
    sandboxes.push(s);
    return s;
  };
}

export const threeMembers = (clusterName: string) => ({
  clusterName,
  runtime: 'systemd',
  members: [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }],
});

function counting(steps: Record<string, StepHandler>, calls: Record<string, number>): Record<string, StepHandler> {
  return Object.fromEntries(
    Object.entries(steps).map(([name, handler]) => [
      name,
      (input: unknown) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return handler(input);
      },
    ]),
  );
}
