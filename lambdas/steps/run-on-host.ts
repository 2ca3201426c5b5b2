// Runs one host script on the host of a Map iteration and turns a failure into a named error
// whose message says which step failed on which host, with the tail of what the script printed.
import { HostScriptFailedError } from '../core/errors';
import type { Host, HostRunResult } from '../ports';
import type { StepDeps } from './deps';

export function describeHost(host: Host): string {
  return host.instanceId ? `${host.name} (${host.instanceId}, ${host.address})` : `${host.name} (${host.address})`;
}

export function failureMessage(title: string, host: Host, result: HostRunResult): string {
  const stderr = result.stderrTail.trim();
  const stdout = result.stdoutTail.trim();
  return [
    `${title} failed on ${describeHost(host)}: exit code ${result.exitCode}`,
    stderr && `stderr (tail):\n${stderr}`,
    !stderr && stdout && `stdout (tail):\n${stdout}`,
  ]
    .filter(Boolean)
    .join('\n');
}

export async function runOnHost(deps: Pick<StepDeps, 'runner' | 'log' | 'hostCommandTimeoutSeconds'>, title: string, host: Host, text: string): Promise<HostRunResult> {
  const [result] = await deps.runner.run([host], { title, text, timeoutSeconds: deps.hostCommandTimeoutSeconds });
  if (result === undefined) throw new HostScriptFailedError(`${title}: the host runner returned no result for ${describeHost(host)}`);
  deps.log.info(`${title}: exit ${result.exitCode}`, { host: host.name, stdout: result.stdoutTail.trim().split('\n').slice(-5) });
  if (result.exitCode !== 0) throw new HostScriptFailedError(failureMessage(title, host, result));
  return result;
}
