// EventBridgeMembershipEvents against moto_server: the event arrives through a rule that matches it as a user's rule
// would (source etcd-ha, detail-type) into an SQS queue, on the default bus and on a bus of its own; an event no rule
// matches reaches no queue; an entry EventBridge refuses (FailedEntryCount) is an error, never a silent drop.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CreateEventBusCommand, EventBridgeClient, PutRuleCommand, PutTargetsCommand } from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { EventBridgeMembershipEvents, MembershipEventRejectedError } from '../../../lambdas/adapters/aws/eventbridge-membership-events';
import { membershipEvent, type MembershipEvent } from '../../../lambdas/core/membership-event';
import { startMoto, type Moto } from '../../support/moto';

const event = (cluster: string, outcome: 'changed' | 'failed' = 'changed'): MembershipEvent =>
  membershipEvent({
    outcome,
    cluster,
    workflow: 'ReplaceMember',
    execution: { name: `replace-${cluster}`, id: `arn:aws:states:us-east-1:123456789012:execution:ReplaceMember:replace-${cluster}` },
    oldMembers: [{ name: 'infra0', id: 'a0', address: '10.0.0.10' }, { name: 'infra1', id: 'a1', address: '10.0.0.11' }],
    newMembers: [{ name: 'infra0', id: 'a0', address: '10.0.0.10' }, { name: 'infra2', id: 'a2', address: '10.0.0.12' }],
    clientEndpoints: ['https://10.0.0.10:2379', 'https://10.0.0.12:2379'],
    ...(outcome === 'failed' && { failure: { name: 'ClusterUnhealthyError', cause: 'infra2 never answered' } }),
    at: new Date(),
  });

describe('EventBridgeMembershipEvents against moto_server', () => {
  let moto: Moto | undefined;
  let events: EventBridgeClient;
  let sqs: SQSClient;

  before(async () => {
    moto = await startMoto();
    events = new EventBridgeClient(moto.clientConfig);
    sqs = new SQSClient(moto.clientConfig);
  });
  after(async () => {
    events?.destroy();
    sqs?.destroy();
    await moto?.stop();
  });

  /** A queue behind a rule on `bus` that matches `pattern`. */
  async function queueBehindRule(name: string, bus: string, pattern: object): Promise<string> {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    await events.send(new PutRuleCommand({ Name: name, EventBusName: bus, EventPattern: JSON.stringify(pattern) }));
    await events.send(new PutTargetsCommand({ Rule: name, EventBusName: bus, Targets: [{ Id: 'queue', Arn: Attributes!.QueueArn! }] }));
    return QueueUrl!;
  }

  async function received(queueUrl: string): Promise<Array<Record<string, any>>> {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    return (Messages ?? []).map((m) => JSON.parse(m.Body!));
  }

  it('on the default bus: a rule on source etcd-ha and detail-type Membership Changed gets the event, its detail as published', async () => {
    const changed = await queueBehindRule('membership-changed', 'default', { source: ['etcd-ha'], 'detail-type': ['Membership Changed'] });
    const failedOnly = await queueBehindRule('membership-failed', 'default', { source: ['etcd-ha'], 'detail-type': ['Membership Change Failed'] });
    const published = event('prod');
    await new EventBridgeMembershipEvents({ client: events }).publish(published);
    const [delivered, ...more] = await received(changed);
    assert.equal(more.length, 0);
    assert.equal(delivered!.source, 'etcd-ha');
    assert.equal(delivered!['detail-type'], 'Membership Changed');
    assert.deepEqual(delivered!.detail, published.detail);
    assert.deepEqual(await received(failedOnly), [], 'a rule on the failures does not get a completed change');
    await new EventBridgeMembershipEvents({ client: events }).publish(event('prod', 'failed'));
    const [failure] = await received(failedOnly);
    assert.deepEqual(failure!.detail.error, { name: 'ClusterUnhealthyError', cause: 'infra2 never answered' });
  });

  it('on a bus of its own (the stack was given one): only that bus\'s rules get it', async () => {
    await events.send(new CreateEventBusCommand({ Name: 'etcd-ha-events' }));
    const own = await queueBehindRule('own-bus', 'etcd-ha-events', { source: ['etcd-ha'], detail: { cluster: ['staging'] } });
    const onDefault = await queueBehindRule('default-staging', 'default', { source: ['etcd-ha'], detail: { cluster: ['staging'] } });
    await new EventBridgeMembershipEvents({ client: events, eventBusName: 'etcd-ha-events' }).publish(event('staging'));
    assert.deepEqual((await received(own)).map((m) => m.detail.cluster), ['staging']);
    assert.deepEqual(await received(onDefault), []);
  });

  it('an entry EventBridge refuses (FailedEntryCount > 0) throws, naming the event and the error code; a missing bus throws', async () => {
    // moto refuses an entry without a source per entry (answering 200), as EventBridge does with its entry checks.
    const refused = { ...event('prod'), source: '' as 'etcd-ha' };
    await assert.rejects(new EventBridgeMembershipEvents({ client: events }).publish(refused), (error: Error) => {
      assert.ok(error instanceof MembershipEventRejectedError, String(error));
      assert.match(error.message, /^EventBridge rejected the Membership Changed event of prod: InvalidArgument /);
      return true;
    });
    await assert.rejects(new EventBridgeMembershipEvents({ client: events, eventBusName: 'no-such-bus' }).publish(event('prod')), /no-such-bus|does not exist/);
  });
});
