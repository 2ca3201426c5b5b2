// `etcd-ha local down`: the DeleteCluster workflow on the local runner for the recorded cluster (etcd stopped on every
// member, data dirs moved aside, secrets and record deleted, under the cluster's lock), then every etcd the local
// hosts still run stopped by the PID their supervisor recorded, then the local home removed. Only a directory that
// carries etcd-ha's marker (written when the home was created) is touched at all: ETCD_HA_HOME pointing anywhere
// else is refused, with nothing stopped or deleted. `--dry-run` only says what DeleteCluster would delete.
import { existsSync, rmSync } from 'node:fs';
import { LOCAL_HOME_MARKER, isMarkedLocalHome, localHome } from '../../lambdas/local-runner/local-home';
import type { WorkflowOutcome } from '../../lambdas/workflow-runner/port';
import { deleteRequest } from './aws-delete';
import { printDeletion } from './delete-report';
import { localRunner, recordedCluster } from './local-cluster';
import { ProgressPrinter } from './progress';
import { EXIT, UsageError, printJson, progressOutput, type Output, type OutputFormat } from './output';

export interface LocalDownOptions {
  /** Only run DeleteCluster without confirmation: list what would be deleted, change nothing. */
  readonly dryRun?: boolean;
  readonly by?: string;
  /** @default 'text' */
  readonly format?: OutputFormat;
}

/** The refusal for a directory etcd-ha did not create: it names the directory and changes nothing. */
export function unmarkedHomeError(dir: string): UsageError {
  return new UsageError(
    `refusing to touch ${dir}: it has no etcd-ha marker file (${LOCAL_HOME_MARKER}), so it may not be etcd-ha's local home ` +
      '(check ETCD_HA_HOME). Nothing was stopped or deleted. A local home made by an older etcd-ha has no marker: stop its members and remove it by hand.',
  );
}

export async function localDown(output: Output, options: LocalDownOptions = {}): Promise<number> {
  const format = options.format ?? 'text';
  const say = progressOutput(output, format);
  const home = localHome();
  if (!existsSync(home.dir)) {
    say.out('no local cluster here: nothing to stop');
    if (format === 'json') printJson(output, { home: home.dir, removed: false, stopped: [] });
    return EXIT.done;
  }
  if (!isMarkedLocalHome(home.dir)) throw unmarkedHomeError(home.dir);

  const runner = localRunner();
  const record = recordedCluster(home);
  let deletion: WorkflowOutcome | undefined;
  if (record) {
    const confirm = options.dryRun ? {} : { confirm: record.clusterName };
    const input = deleteRequest({ cluster: record.clusterName, ...confirm, ...(options.by !== undefined && { by: options.by }) });
    const progress = new ProgressPrinter(say.out);
    deletion = await runner.execute({ workflow: 'delete-cluster', input, onEvent: (event) => progress.onEvent(event) });
    if (options.dryRun) return printDeletion(deletion, format, output);
    // Its failure is shown; the members are still stopped by PID below, so that nothing keeps running.
    printDeletion(deletion, 'text', say);
  } else if (options.dryRun) {
    say.out(`no cluster is recorded in ${home.dir}: \`local down\` would stop any etcd its hosts run and remove it`);
    return EXIT.done;
  }

  const stops = runner.stopAllMembers();
  for (const stop of stops) {
    if (stop.stopped) say.out(`no etcd runs on ${stop.host}`);
    else say.err(`could not stop etcd on ${stop.host}: ${stop.error}`);
  }
  const failures = stops.filter((s) => !s.stopped).length;
  const removed = failures === 0;
  if (removed) {
    rmSync(home.dir, { recursive: true, force: true });
    say.out(`removed ${home.dir}`);
  } else {
    say.err(`kept ${home.dir}: ${failures} member(s) could not be stopped`);
  }
  if (format === 'json') printJson(output, { home: home.dir, removed, ...(deletion && { deletion: { workflow: 'DeleteCluster', ...deletion } }), stopped: stops });
  return removed ? EXIT.done : EXIT.failed;
}
