// `etcd-ha local kill|replace`: break a member the way a host dies (SIGKILL, data dir left behind),
// and run the ReplaceMember workflow locally onto a new loopback address.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { renderAsl } from '../../statemachines/render-asl';
import { REPLACE_STEPS, replaceMemberDefinition } from '../../statemachines/replace-member';
import { createReplaceSteps } from '../../lambdas/steps/replace';
import { runWorkflow, type WorkflowResult } from '../../lambdas/local-runner/run-workflow';
import type { LocalHome } from '../../lambdas/local-runner/local-home';
import type { ClusterRecord } from '../../lambdas/ports';
import type { ClusterSummary } from '../../lambdas/steps/record-cluster';
import { ProgressPrinter } from './progress';
import { localContext, requireRecordedCluster } from './local-cluster';
import { UsageError, type Output } from './output';
import { runningEtcdPid } from '../../lambdas/local-runner/member-process';

export async function localKill(member: string, output: Output): Promise<number> {
  const { home } = localContext();
  const record = requireRecordedCluster(home);
  if (!record.members.some((m) => m.name === member)) {
    throw new UsageError(`--member: "${member}" is not a member of ${record.clusterName} (members: ${record.members.map((m) => m.name).join(', ')})`);
  }
  const pid = runningEtcdPid(home.hostsDir, member);
  if (pid === undefined) {
    output.out(`etcd of ${member} is not running`);
    return 0;
  }
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 200 && runningEtcdPid(home.hostsDir, member) === pid; i++) await sleep(25);
  output.out(`killed etcd of ${member} (pid ${pid}); its data dir is left behind, as on a dead host`);
  return 0;
}

/** Every loopback address a local host has used (a replacement never reuses a dead member's). */
function usedAddresses(home: LocalHome, record: ClusterRecord): Set<string> {
  const used = new Set(record.members.map((m) => m.address));
  const hosts = existsSync(home.hostsDir) ? readdirSync(home.hostsDir) : [];
  for (const host of hosts) {
    const envFile = join(home.hostsDir, host, 'etc', 'etcd', 'etcd.conf');
    if (!existsSync(envFile)) continue;
    const match = /^ETCD_LISTEN_PEER_URLS=https:\/\/([0-9.]+):/m.exec(readFileSync(envFile, 'utf8'));
    if (match) used.add(match[1] as string);
  }
  return used;
}

function nextFreeAddress(used: Set<string>): string {
  const numbers = [...used].map((a) => a.split('.').reduce((n, octet) => n * 256 + Number(octet), 0));
  let next = Math.max(...numbers) + 1;
  const asAddress = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
  while (used.has(asAddress(next))) next += 1;
  return asAddress(next);
}

export interface ReplaceOptions {
  readonly member: string;
  readonly replacementName?: string;
  readonly force?: boolean;
  readonly trigger?: string;
}

/** Runs ReplaceMember locally; resolves with the workflow result (the CLI and `heal` print it). */
export async function runLocalReplace(options: ReplaceOptions, output: Output): Promise<WorkflowResult> {
  const { home, deps } = localContext();
  const record = requireRecordedCluster(home);
  const address = nextFreeAddress(usedAddresses(home, record));
  const progress = new ProgressPrinter(output.out);
  return runWorkflow({
    definition: renderAsl(REPLACE_STEPS, (scope, functions) => replaceMemberDefinition(scope, { functions, lockWaitAttempts: 20, healthCheckAttempts: 60 })),
    steps: createReplaceSteps(deps),
    input: {
      clusterName: record.clusterName,
      failedMember: options.member,
      replacement: { address, ...(options.replacementName && { name: options.replacementName }) },
      force: options.force ?? false,
      trigger: options.trigger ?? 'manual',
    },
    onEvent: (event) => progress.onEvent(event),
  });
}

export async function localReplace(options: ReplaceOptions, output: Output): Promise<number> {
  output.out(`etcd-ha: replacing ${options.member} with the ReplaceMember workflow`);
  const result = await runLocalReplace(options, output);
  return reportReplace(result, output);
}

export function reportReplace(result: WorkflowResult, output: Output): number {
  if (result.status === 'FAILED') {
    output.err(`\nReplaceMember failed: ${result.error}`);
    output.err(result.cause ?? '');
    return 1;
  }
  const summary = result.output as Partial<ClusterSummary> & { reason?: string };
  if (!Array.isArray(summary.members)) {
    output.out(`\nNothing to replace: ${summary.reason ?? 'another execution already replaced the member'}`);
    return 0;
  }
  output.out(`\nCluster "${summary.clusterName ?? ''}" is healthy again: ${summary.members.length} members (${result.transitions} state transitions).`);
  for (const m of summary.members) output.out(`  ${m.name.padEnd(10)} ${m.id.padEnd(17)} ${m.endpoint}${m.leader ? '  (leader)' : ''}`);
  return 0;
}
