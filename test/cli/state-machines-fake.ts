// A hand-made Step Functions that lists state machines with their tags (ListStateMachines in pages of `pageSize`,
// ListTagsForResource), for the command line's search by tag without AWS. Not a suite itself.
import type { StateMachinesApi } from '../../lambdas/workflow-runner/find-state-machine';

export function stateMachinesWithTags(machines: Readonly<Record<string, Readonly<Record<string, string>>>>, pageSize = 2) {
  const calls = { regions: [] as Array<string | undefined>, pages: 0, tagReads: [] as string[], closed: 0 };
  const arns = Object.keys(machines);
  const api: StateMachinesApi = {
    async listPage(nextToken) {
      calls.pages += 1;
      const start = nextToken === undefined ? 0 : Number(nextToken);
      const end = start + pageSize;
      return { arns: arns.slice(start, end), ...(end < arns.length && { nextToken: String(end) }) };
    },
    async tagsOf(arn) {
      calls.tagReads.push(arn);
      return machines[arn] ?? {};
    },
    close: () => void (calls.closed += 1),
  };
  const factory = (region: string | undefined) => {
    calls.regions.push(region);
    return api;
  };
  return { factory, calls };
}
