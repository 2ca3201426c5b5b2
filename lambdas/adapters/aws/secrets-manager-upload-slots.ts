// PkiUploadSlots on AWS: AdoptCluster's one-time place for a host to put its own PKI. A slot is a secret
// `<prefix>/<cluster>/adopt/<member>` created WITHOUT a value, encrypted with the stack's KMS key and tagged with the
// instance's ARN: the host policy (lib/member-host-policy.ts) lets an instance PutSecretValue only into an `adopt/`
// secret tagged with its own ARN, and never read one. Receive Member PKI opens the slot, reads what the host put, and
// closes it (deleted at once, no recovery window), so the grant ends with the step.
// An existing slot is reused only when it is ours and names the same instance; values never reach a log or an error.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  type DescribeSecretCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { ADOPT_UPLOAD_ITEM, CLUSTER_TAG, DEFAULT_SECRET_PREFIX, INSTANCE_ARN_TAG, MEMBER_TAG } from '../../catalog/contracts';
import { EtcdHaError, ForeignSecretError } from '../../core/errors';
import { foreignSecretReasons } from '../../core/secret-ownership';
import type { Host, PkiUploadSlots } from '../../ports';
import { instanceArn } from './ec2-host-directory';
import { SecretsManagerSecretStore } from './secrets-manager-store';

export interface SecretsManagerUploadSlotsProps {
  /** The Secrets Manager client, created once per module by the composition root. */
  readonly client: SecretsManagerClient;
  /** The stack's KMS key (ID, ARN or alias): every slot is encrypted with it, and an existing slot must be. */
  readonly kmsKeyId: string;
  /**
   * First segment of the slot names: `<prefix>/<cluster>/adopt/<member>`.
   * @default 'etcd-ha'
   */
  readonly prefix?: string;
  /** Region and account of the member instances (their ARNs tag the slots). */
  readonly region: string;
  readonly account: string;
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export class SecretsManagerUploadSlots implements PkiUploadSlots {
  private readonly client: SecretsManagerClient;
  private readonly kmsKeyId: string;
  /** Names and checks them as the store does (segments, length). */
  private readonly names: SecretsManagerSecretStore;

  constructor(private readonly props: SecretsManagerUploadSlotsProps) {
    this.client = props.client;
    this.kmsKeyId = props.kmsKeyId;
    this.names = new SecretsManagerSecretStore({ client: props.client, kmsKeyId: props.kmsKeyId, prefix: props.prefix ?? DEFAULT_SECRET_PREFIX });
  }

  /**
   * Creates the empty slot, or finds the one an earlier try made for the same instance.
   * @throws ForeignSecretError when a secret of that name is not ours or names another instance
   * @throws EtcdHaError when the host has no instance ID, or a secret of that name is scheduled for deletion
   */
  async open(clusterName: string, member: string, host: Host): Promise<{ readonly secretId: string }> {
    if (host.instanceId === undefined || host.instanceId === '') {
      throw new EtcdHaError(`member ${member} of cluster ${clusterName}: its host has no EC2 instance ID, and on AWS only an instance can upload its PKI`);
    }
    const name = this.names.nameFor(clusterName, ADOPT_UPLOAD_ITEM(member));
    const arnTag = instanceArn(this.props.region, this.props.account, host.instanceId);
    try {
      // No SecretString: the slot has no version until the host puts one (and a wrong first value cannot exist).
      const created = await this.client.send(
        new CreateSecretCommand({
          Name: name,
          KmsKeyId: this.kmsKeyId,
          Description: `etcd-ha AdoptCluster: instance ${host.instanceId} uploads the PKI of member ${member} of ${clusterName} here; deleted when Receive Member PKI ends`,
          Tags: [
            { Key: CLUSTER_TAG, Value: clusterName },
            { Key: MEMBER_TAG, Value: member },
            { Key: INSTANCE_ARN_TAG, Value: arnTag },
          ],
        }),
      );
      return { secretId: created.ARN! };
    } catch (error) {
      // Real AWS answers InvalidRequestException for a name scheduled for deletion; moto answers ResourceExistsException.
      if (errorName(error) !== 'ResourceExistsException' && errorName(error) !== 'InvalidRequestException') throw error;
      const described = await this.describe(name);
      if (described === undefined) {
        if (errorName(error) === 'InvalidRequestException') throw error;
        throw new EtcdHaError(`upload slot ${name} existed at CreateSecret but not at DescribeSecret: retry`);
      }
      await this.checkOurs(name, clusterName, arnTag, described);
      return { secretId: described.ARN! };
    }
  }

  /** The value the host put (AWSCURRENT); undefined while it has put none. */
  async read(secretId: string): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (answer.SecretString !== undefined) return answer.SecretString;
      if (answer.SecretBinary !== undefined) return Buffer.from(answer.SecretBinary).toString('utf8');
      return undefined;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
    // Secrets Manager (and moto) answer ResourceNotFoundException both for a secret without a version and for no
    // secret: only the first means "not yet"; a slot deleted under the step would otherwise be waited on forever.
    const described = await this.describe(secretId);
    if (described === undefined || described.DeletedDate !== undefined) {
      throw new EtcdHaError(`upload slot ${secretId} no longer exists (deleted while the host was to upload into it): open it again`);
    }
    return undefined;
  }

  /** Deletes the slot at once, its value with it; a slot already gone is fine. */
  async close(secretId: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }));
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw error;
    }
  }

  private async describe(secretId: string): Promise<DescribeSecretCommandOutput | undefined> {
    try {
      return await this.client.send(new DescribeSecretCommand({ SecretId: secretId }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  /**
   * An existing slot is reused only when etcd-ha made it (key, no resource policy, cluster tag) for this very
   * instance, and is not scheduled for deletion (restoring it would bring back what an earlier host put).
   */
  private async checkOurs(name: string, clusterName: string, arnTag: string, described: DescribeSecretCommandOutput): Promise<void> {
    const policy = await this.client.send(new GetResourcePolicyCommand({ SecretId: described.ARN! }));
    const tags = Object.fromEntries((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const reasons = foreignSecretReasons(
      { kmsKeyId: described.KmsKeyId, hasResourcePolicy: (policy.ResourcePolicy ?? '').trim() !== '', tags },
      { kmsKeyId: this.kmsKeyId, clusterName },
    );
    const tagged = tags[INSTANCE_ARN_TAG];
    if (tagged !== arnTag) {
      reasons.push(tagged === undefined ? `it has no ${INSTANCE_ARN_TAG} tag (expected "${arnTag}")` : `its ${INSTANCE_ARN_TAG} tag names another instance ("${tagged}", expected "${arnTag}")`);
    }
    if (reasons.length > 0) throw new ForeignSecretError(name, reasons);
    if (described.DeletedDate !== undefined) {
      throw new EtcdHaError(
        `upload slot ${name} is scheduled for deletion (since ${described.DeletedDate.toISOString()}); it is not restored, so that nothing an earlier host put is reused. Delete it at once (aws secretsmanager delete-secret --secret-id ${name} --force-delete-without-recovery), then re-run.`,
      );
    }
  }
}
