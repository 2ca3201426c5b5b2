// Finding a deployed workflow's state machine by its `etcd-ha:workflow` tag (lambdas/catalog/contracts.ts): every
// state machine of the account and region (ListStateMachines), then the tags of each (ListTagsForResource). It
// works whether etcd-ha is a stack of its own or part of a bigger one, whatever the state machines are called.
// The SDK client takes everything but its region (credentials, AWS_ENDPOINT_URL) from the usual AWS settings.
import { ListStateMachinesCommand, ListTagsForResourceCommand, SFNClient } from '@aws-sdk/client-sfn';

/** What the search needs of Step Functions (tests answer it with a fake or moto_server). */
export interface StateMachinesApi {
  /** One page of ListStateMachines: the state machines' ARNs. */
  listPage(nextToken?: string): Promise<{ readonly arns: readonly string[]; readonly nextToken?: string }>;
  /** A state machine's tags (ListTagsForResource). */
  tagsOf(arn: string): Promise<Readonly<Record<string, string>>>;
  close(): void;
}

/** ListStateMachines' largest page. */
const LIST_PAGE_SIZE = 1000;
/** ListTagsForResource calls in flight at once (Step Functions throttles its control plane calls). */
const TAG_READS_AT_ONCE = 5;

/** @param region @default - the SDK's own: AWS_REGION, then the profile's */
export function sfnStateMachinesApi(region?: string): StateMachinesApi {
  const client = new SFNClient(region === undefined ? {} : { region });
  return {
    async listPage(nextToken) {
      const answer = await client.send(new ListStateMachinesCommand({ maxResults: LIST_PAGE_SIZE, ...(nextToken && { nextToken }) }));
      return {
        arns: (answer.stateMachines ?? []).flatMap((m) => (m.stateMachineArn ? [m.stateMachineArn] : [])),
        ...(answer.nextToken && { nextToken: answer.nextToken }),
      };
    },
    async tagsOf(arn) {
      const answer = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      return Object.fromEntries((answer.tags ?? []).flatMap((t) => (t.key === undefined ? [] : [[t.key, t.value ?? '']])));
    },
    close: () => client.destroy(),
  };
}

/** The ARNs of the state machines whose tag `key` has `value`, in ListStateMachines' order. */
export async function stateMachinesTagged(api: StateMachinesApi, key: string, value: string): Promise<string[]> {
  const arns: string[] = [];
  let nextToken: string | undefined;
  do {
    const page = await api.listPage(nextToken);
    arns.push(...page.arns);
    nextToken = page.nextToken;
  } while (nextToken);
  const matching: string[] = [];
  for (let i = 0; i < arns.length; i += TAG_READS_AT_ONCE) {
    const batch = arns.slice(i, i + TAG_READS_AT_ONCE);
    const tags = await Promise.all(batch.map((arn) => api.tagsOf(arn)));
    batch.forEach((arn, j) => {
      if (tags[j]![key] === value) matching.push(arn);
    });
  }
  return matching;
}
