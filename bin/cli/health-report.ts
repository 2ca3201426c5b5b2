// A CheckClusterHealth execution's output, as `status` and `local status` print it: the one member table or one
// JSON document, and the exit code (0 healthy, 3 not healthy). The workflow is the same locally and on AWS; only
// the runner differs.
import type { ClusterHealthReport, ValidatedHealthCheck } from '../../lambdas/workflow-runner/contracts';
import { clusterHealthLines } from './members';
import { EXIT, printJson, type Output, type OutputFormat } from './output';

export type HealthCheckAnswer = ClusterHealthReport | Extract<ValidatedHealthCheck, { isRecorded: false }>;

/** The execution's output when it is one CheckClusterHealth gives (a report, or Nothing To Check's answer). */
export function healthCheckAnswerOf(output: unknown): HealthCheckAnswer | undefined {
  if (output === null || typeof output !== 'object') return undefined;
  const o = output as { clusterName?: unknown; isRecorded?: unknown; reason?: unknown; healthy?: unknown; members?: unknown; problems?: unknown };
  if (typeof o.clusterName !== 'string') return undefined;
  if (o.isRecorded === false && typeof o.reason === 'string') return output as Extract<ValidatedHealthCheck, { isRecorded: false }>;
  if (o.isRecorded === true && typeof o.healthy === 'boolean' && Array.isArray(o.members) && Array.isArray(o.problems)) return output as ClusterHealthReport;
  return undefined;
}

/** Prints the report (`extra` joins the JSON document, e.g. the execution ARN) and gives the exit code. */
export function printHealthReport(report: ClusterHealthReport, format: OutputFormat, output: Output, extra: Record<string, unknown> = {}): number {
  if (format === 'json') {
    printJson(output, { ...report, ...extra });
  } else {
    for (const line of clusterHealthLines(report)) output.out(line);
  }
  return report.healthy ? EXIT.done : EXIT.notHealthy;
}
