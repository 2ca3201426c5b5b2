// The closing lines of a Step Functions execution `etcd-ha watch` prints: for SUCCEEDED the cluster and its
// members, otherwise the error and its cause (a Lambda's errorMessage, never its stack trace).
import type { FollowedExecution } from '../../lambdas/workflow-runner/step-functions';
import { memberTableLines, type MemberLine } from './members';
import { formatDuration } from './progress';

/** A ProvisionCluster result (ClusterSummary), as far as the summary needs it. */
interface ClusterSummaryLike {
  readonly clusterName: string;
  readonly members: readonly MemberLine[];
}

function clusterSummaryOf(output: unknown): ClusterSummaryLike | undefined {
  const parsed = output as Partial<ClusterSummaryLike> | undefined;
  if (parsed === null || typeof parsed !== 'object' || typeof parsed.clusterName !== 'string' || !Array.isArray(parsed.members)) return undefined;
  const wellFormed = parsed.members.every((m) => m !== null && typeof m === 'object' && typeof m.name === 'string' && typeof m.id === 'string' && typeof m.endpoint === 'string');
  return wellFormed ? (parsed as ClusterSummaryLike) : undefined;
}

const MAX_RAW_OUTPUT = 2000;

export function formatOutcome(outcome: Pick<FollowedExecution, 'status' | 'output' | 'rawOutput' | 'error' | 'cause' | 'startDate' | 'stopDate'> & { name?: string }): string[] {
  const took = outcome.startDate && outcome.stopDate ? ` after ${formatDuration(outcome.stopDate.getTime() - outcome.startDate.getTime())}` : '';
  const name = outcome.name ? `Execution ${outcome.name}` : 'Execution';
  if (outcome.status === 'SUCCEEDED') {
    const lines = [`${name} SUCCEEDED${took}.`];
    const summary = clusterSummaryOf(outcome.output);
    if (summary) {
      lines.push(`Cluster "${summary.clusterName}" is ready: ${summary.members.length} member${summary.members.length === 1 ? '' : 's'}.`);
      lines.push(...memberTableLines(summary.members));
    } else if (outcome.output !== undefined) {
      const raw = outcome.rawOutput ?? JSON.stringify(outcome.output);
      lines.push(`Output: ${raw.length > MAX_RAW_OUTPUT ? `${raw.slice(0, MAX_RAW_OUTPUT)}…` : raw}`);
    }
    return lines;
  }
  const lines = [`${name} ${outcome.status}${took}${outcome.error ? `: ${outcome.error}` : ''}`];
  const cause = outcome.cause?.trim();
  if (cause) lines.push(...cause.split('\n').map((line) => `  ${line}`));
  return lines;
}
