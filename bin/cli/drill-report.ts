// How `etcd-ha drill` and `etcd-ha local drill` print DrillRestore's answer: per cluster, the backup drilled, the keys
// and revision the temporary etcd served, and ok or failed with why. With `-o json` one document on stdout. Exit 0
// when every drill passed (or another drill of the cluster was running), 1 otherwise.
import type { DrillOutcome, DrillRestoreOutput } from '../../lambdas/workflow-runner/contracts';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { EXIT, printJson, type Output, type OutputFormat } from './output';

function drillsOf(value: unknown): readonly DrillOutcome[] | undefined {
  return value !== null && typeof value === 'object' && Array.isArray((value as DrillRestoreOutput).drills) ? (value as DrillRestoreOutput).drills : undefined;
}

/** A failed execution's cause is the drills as JSON (Describe Drill Failures), or a plain message. */
function failedDrills(cause: string | undefined): readonly DrillOutcome[] | undefined {
  try {
    const parsed: unknown = JSON.parse(cause ?? '');
    return Array.isArray(parsed) ? (parsed as DrillOutcome[]) : undefined;
  } catch {
    return undefined;
  }
}

export function describeDrill(d: DrillOutcome): string[] {
  if (d.outcome === 'passed') return [`${d.clusterName}: backup ${d.backup}: ${d.keys} keys, revision ${d.revision} (on ${d.host}): ok`];
  if (d.outcome === 'already-running') return [`${d.clusterName}: another drill is running (${d.heldBy}); this one ended without a restore`];
  return [`${d.clusterName}: backup ${d.backup ?? '(none)'}: failed: ${d.error}`, ...d.cause.split('\n').slice(0, 12).map((line) => `  ${line}`)];
}

export function printDrillOutcome(result: Pick<WorkflowOutcome, 'status' | 'output' | 'error' | 'cause'>, format: OutputFormat, output: Output): number {
  if (format === 'json') printJson(output, { workflow: 'DrillRestore', ...result });
  const say = format === 'json' ? { out: output.err, err: output.err } : output;
  if (result.status !== 'SUCCEEDED') {
    const drills = failedDrills(result.cause);
    if (drills) for (const d of drills) for (const line of describeDrill(d)) (d.outcome === 'failed' ? say.err : say.out)(line);
    else say.err(`DrillRestore ${result.status.toLowerCase()}: ${result.error ?? '(no error given)'}${result.cause ? `\n  ${result.cause}` : ''}`);
    return EXIT.failed;
  }
  const drills = drillsOf(result.output);
  if (!drills) {
    say.err('DrillRestore succeeded without the answer it gives (its drills)');
    return EXIT.failed;
  }
  if (drills.length === 0) {
    say.err(`nothing drilled: ${(result.output as DrillRestoreOutput).reason ?? 'no cluster named'}`);
    return EXIT.failed;
  }
  for (const d of drills) for (const line of describeDrill(d)) say.out(line);
  return EXIT.done;
}
