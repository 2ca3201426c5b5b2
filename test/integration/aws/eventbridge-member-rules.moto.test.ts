// The EC2 state-change rules match member instances only (issue 13, item 8): Sync Member Rules writes the recorded
// members' instance IDs into the rules on moto_server's EventBridge; events are put on its default bus, and what
// the rules deliver to their target (an SQS queue standing in for ReplaceMember: moto's Step Functions target is
// unreliable, and moto_server 5.2.1 does not implement TestEventPattern) is what would start an execution. Before, the pattern listed no instance: every instance's event matched and started
// an execution, so a burst of others' events delayed a member's.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DescribeRuleCommand, EventBridgeClient, PutEventsCommand, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, DeleteMessageBatchCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeMemberRules } from '../../../lambdas/adapters/aws/eventbridge-member-rules';
import { makeSyncMemberRules } from '../../../lambdas/steps/member-rules/sync-member-rules';
import type { ClusterRecord, Logger } from '../../../lambdas/ports';
import { startMoto, type Moto } from '../../support/moto';

const STATES = ['shutting-down', 'terminated', 'stopping', 'stopped'];
const RULES = ['etcd-ha-members-0', 'etcd-ha-members-1'];
const MEMBER = 'i-0aaaaaaaaaaaaaaa1';
const REMOVED = 'i-0aaaaaaaaaaaaaaa9';
const quiet: Logger = { info: () => undefined, warn: () => undefined };

/** EC2's state-change event of `instanceId`, as PutEvents takes it. */
const event = (instanceId: string, state = 'terminated') => ({
  Source: 'aws.ec2',
  DetailType: 'EC2 Instance State-change Notification',
  Resources: [`arn:aws:ec2:us-east-1:123456789012:instance/${instanceId}`],
  Detail: JSON.stringify({ 'instance-id': instanceId, state }),
});

const record = (name: string, instanceIds: string[], removed: string[] = []): ClusterRecord =>
  ({
    clusterName: name,
    members: instanceIds.map((instanceId, i) => ({ name: `infra${i}`, id: String(i), address: `10.0.0.${i + 1}`, instanceId })),
    ...(removed.length > 0 && { removed: removed.map((instanceId) => ({ name: 'gone', id: '9', address: '10.0.0.9', instanceId })) }),
  }) as unknown as ClusterRecord;

describe('EC2 rules that list the member instances, on moto_server', () => {
  let moto: Moto | undefined;
  let events: EventBridgeClient;
  let sqs: SQSClient;
  let queueUrl = '';
  /** The instance IDs of the events the rules delivered since the last call. */
  const delivered = async (): Promise<string[]> => {
    const ids: string[] = [];
    for (;;) {
      const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
      if (!Messages?.length) return ids;
      await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: queueUrl, Entries: Messages.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      ids.push(...Messages.map((m) => (JSON.parse(m.Body!) as { detail: { 'instance-id': string } }).detail['instance-id']));
    }
  };
  /** Puts the events (10 per PutEvents, EventBridge's limit) and says which instances' events were delivered. */
  const put = async (...entries: Array<ReturnType<typeof event>>): Promise<string[]> => {
    for (let i = 0; i < entries.length; i += 10) await events.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
    return delivered();
  };
  const matches = async (instanceId: string, state?: string) => (await put(event(instanceId, state))).includes(instanceId);

  before(async () => {
    moto = await startMoto();
    events = new EventBridgeClient(moto.clientConfig);
    sqs = new SQSClient(moto.clientConfig);
    queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'replace-member-stand-in' }))).QueueUrl!;
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }));
    // As the stack creates them: placeholder patterns that match no instance, a description, enabled.
    for (const name of RULES) {
      await events.send(new PutRuleCommand({ Name: name, Description: `etcd-ha: ${name}`, EventPattern: JSON.stringify({ source: ['aws.ec2'], detail: { 'instance-id': ['etcd-ha:no-member'] } }) }));
      await events.send(new PutTargetsCommand({ Rule: name, Targets: [{ Id: 'replace-member', Arn: Attributes!.QueueArn! }] }));
    }
  });
  after(async () => {
    events?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  it("a member's event matches, a non-member's does not; a removed member awaiting its replacement still matches", async () => {
    // Before the sync, as the rules were before: nothing here would match; after it, members do.
    assert.equal(await matches(MEMBER), false, 'the placeholder matches no instance');
    const others = ['i-0bbbbbbbbbbbbbbb1', 'i-0bbbbbbbbbbbbbbb2'];
    const sync = makeSyncMemberRules({
      registry: { list: async () => [record('demo', [MEMBER, 'i-0aaaaaaaaaaaaaaa2'], [REMOVED]), record('prod', ['i-0ccccccccccccccc1'])] },
      rules: new EventBridgeMemberRules({ client: events, families: [{ ruleNames: RULES, states: STATES }] }),
      log: quiet,
    });
    const outcome = await sync();
    assert.deepEqual(outcome, { changed: RULES, unplaced: [], instances: 4 });
    assert.equal(await matches(MEMBER), true);
    assert.equal(await matches(MEMBER, 'stopped'), true);
    assert.equal(await matches(MEMBER, 'running'), false, 'only the states that may need a replacement');
    assert.equal(await matches(REMOVED), true);
    assert.equal(await matches('i-0ccccccccccccccc1'), true);
    for (const other of others) assert.equal(await matches(other), false, other);
    // The rules keep their description and state.
    const rule = await events.send(new DescribeRuleCommand({ Name: RULES[0] }));
    assert.deepEqual([rule.Description, rule.State], [`etcd-ha: ${RULES[0]}`, 'ENABLED']);
    // Idempotent: the same members change nothing.
    assert.deepEqual((await sync()).changed, []);
  });

  it('a burst of 100 non-member events matches no rule: it starts no execution, so it cannot delay a member\'s', async () => {
    const burst = Array.from({ length: 100 }, (_, i) => event(`i-0dddddddddddd${i.toString(16).padStart(4, '0')}`));
    // The member's event comes last, after the burst: it is the only one delivered.
    assert.deepEqual(await put(...burst, event(MEMBER)), [MEMBER]);
    // The rule as it was (every instance in the region) delivers all 101: a start, and a Validate Request, each.
    await events.send(new PutRuleCommand({ Name: 'as-before', EventPattern: JSON.stringify({ source: ['aws.ec2'], 'detail-type': ['EC2 Instance State-change Notification'], detail: { state: STATES } }) }));
    const { Targets: [target] = [] } = { Targets: [{ Id: 'replace-member', Arn: (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn! }] };
    await events.send(new PutTargetsCommand({ Rule: 'as-before', Targets: [target!] }));
    const before = await put(...burst, event(MEMBER));
    assert.equal(new Set(before).size, 101, 'the old rule takes all 101 instances');
  });
});
