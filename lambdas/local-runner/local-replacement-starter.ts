// ReplacementStarter on one machine: runs ReplaceMember in this process (to its end) through `run`, once per
// execution name: a second start of a name this starter already ran is no second run, as on Step Functions.
import type { ReplacementStarter } from '../ports';
import type { WorkflowResult } from './run-workflow';

export interface LocalReplaceRequest {
  readonly clusterName: string;
  readonly failedMember: string;
  readonly trigger: string;
}

export class LocalReplacementStarter implements ReplacementStarter {
  /** Every run, by execution name. */
  readonly results = new Map<string, WorkflowResult>();

  constructor(private readonly run: (request: LocalReplaceRequest, executionName: string) => Promise<WorkflowResult>) {}

  async start(request: { clusterName: string; member: string; executionName: string; trigger: string }): Promise<{ execution: string; started: boolean }> {
    if (this.results.has(request.executionName)) return { execution: request.executionName, started: false };
    const result = await this.run({ clusterName: request.clusterName, failedMember: request.member, trigger: request.trigger }, request.executionName);
    this.results.set(request.executionName, result);
    return { execution: request.executionName, started: true };
  }
}
