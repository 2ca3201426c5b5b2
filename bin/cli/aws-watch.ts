// `etcd-ha watch EXECUTION_ARN`: follows a Step Functions execution until it ends — one line per state as the
// history grows (the one progress printer, as for local runs), then the outcome. Exit 0 when it SUCCEEDED, 1 when it
// FAILED, TIMED_OUT or was ABORTED. Stopping the watch (Ctrl-C) does not stop the execution.
import { StepFunctionsWorkflowRunner, sfnExecutionsApi, type ExecutionsApi, type FollowOptions } from '../../lambdas/workflow-runner/step-functions';
import { describeAwsError, isAwsError, parseStatesArn } from './aws-sfn';
import { formatOutcome } from './outcome';
import { ProgressPrinter } from './progress';
import { EXIT, printJson, progressOutput, type Output, type OutputFormat } from './output';

export { DEFAULT_POLL_INTERVAL_MS, newEvents } from '../../lambdas/workflow-runner/step-functions';

export interface WatchOptions extends FollowOptions {
  /** text: progress and outcome as lines; json: those on stderr, the outcome as one JSON document on stdout. @default 'text' */
  readonly format?: OutputFormat;
}

/** The `watch` command: checks the ARN, then follows the execution with the SDK. */
export async function watch(executionArn: string, output: Output, options: WatchOptions = {}): Promise<number> {
  const say = progressOutput(output, options.format ?? 'text');
  const { region } = parseStatesArn(executionArn, 'execution', 'EXECUTION_ARN');
  const api = sfnExecutionsApi(region);
  try {
    return await followExecution(api, executionArn, output, options);
  } catch (error) {
    if (!isAwsError(error)) throw error;
    say.err(`etcd-ha: ${describeAwsError(error, 'watching the execution')}`);
    return EXIT.failed;
  } finally {
    api.close();
  }
}

/** Follows the execution through the Step Functions runner, printing its events, then the outcome. */
export async function followExecution(api: ExecutionsApi, executionArn: string, given: Output, options: WatchOptions = {}): Promise<number> {
  const format = options.format ?? 'text';
  const output = progressOutput(given, format);
  const runner = new StepFunctionsWorkflowRunner(api, () => {
    throw new Error('following needs no state machine');
  }, options);
  const progress = new ProgressPrinter(output.out);
  const outcome = await runner.follow(executionArn, (event) => progress.onEvent(event));
  const write = (line: string) => (outcome.status === 'SUCCEEDED' ? output.out(line) : output.err(line));
  write('');
  for (const line of formatOutcome(outcome)) write(line);
  if (format === 'json') {
    const { rawOutput: _raw, executionId: _id, ...reported } = outcome;
    printJson(given, { executionArn, ...reported });
  }
  return outcome.status === 'SUCCEEDED' ? EXIT.done : EXIT.failed;
}
