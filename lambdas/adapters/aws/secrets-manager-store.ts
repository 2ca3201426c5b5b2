// SecretStore on AWS: one Secrets Manager secret per item, "<prefix>/<cluster>/<item>", encrypted with the
// stack's KMS key. A put writes a new version only when the value differs (the hosts and the steps read
// AWSCURRENT), and keeps the etcd-ha tags in step with what the caller passes: the host policy matches
// them against the instance's tags, so a stale one would let the wrong host read a member secret.
// An existing secret is read or written only when it is ours (lambdas/core/secret-ownership.ts): anyone with
// CreateSecret can take a name first, and would otherwise plant a CA or read the keys written into it.
// Values never reach a log or an error message.
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  type DescribeSecretCommandOutput,
  ListSecretsCommand,
  PutSecretValueCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateSecretCommand,
  type SecretsManagerClient,
  type Tag,
} from '@aws-sdk/client-secrets-manager';
import { EtcdHaError, ForeignSecretError, SpecValidationError } from '../../core/errors';
import { foreignSecretReasons } from '../../core/secret-ownership';
import type { SecretDeletion, SecretPutOptions, SecretRef, SecretStore } from '../../ports';
import { CLUSTER_TAG, DEFAULT_SECRET_PREFIX, MANAGED_TAG_PREFIX } from '../../catalog/contracts';

export interface SecretsManagerSecretStoreProps {
  /** The Secrets Manager client, created once per module by the composition root. */
  readonly client: SecretsManagerClient;
  /** KMS key (ID, ARN or alias) that encrypts the secrets this store creates. */
  readonly kmsKeyId: string;
  /**
   * First segment of every secret name: `<prefix>/<cluster>/<item>`. The IAM policies grant on `<prefix>/*`.
   * @default 'etcd-ha'
   */
  readonly prefix?: string;
}

/** Tag keys this store owns: one of them on a secret but absent from a put is removed by that put. */
export { MANAGED_TAG_PREFIX };

/** Secrets Manager's limit on a secret value (SecretString), in bytes. */
export const SECRET_VALUE_MAX_BYTES = 65_536;

/** Characters Secrets Manager accepts in a name, one "/"-separated segment at a time. */
const SEGMENT = /^[A-Za-z0-9_+=.@-]+$/;
const NAME_MAX_CHARS = 512;

function checkSegments(value: string, what: string): void {
  const segments = value.split('/');
  if (value === '' || !segments.every((s) => SEGMENT.test(s) && s !== '.' && s !== '..')) {
    throw new SpecValidationError(what, [
      `"${value}" must be "/"-separated segments of letters, digits and "_+=.@-" (no empty, "." or ".." segment)`,
    ]);
  }
}

function errorName(error: unknown): string | undefined {
  return (error as { name?: string } | undefined)?.name;
}

export class SecretsManagerSecretStore implements SecretStore, SecretDeletion {
  private readonly client: SecretsManagerClient;
  private readonly kmsKeyId: string;
  private readonly prefix: string;

  constructor(props: SecretsManagerSecretStoreProps) {
    if (props.kmsKeyId.trim() === '') throw new RangeError('kmsKeyId must name a KMS key (ID, ARN or alias), got ""');
    const prefix = props.prefix ?? DEFAULT_SECRET_PREFIX;
    checkSegments(prefix, 'secret name prefix');
    this.client = props.client;
    this.kmsKeyId = props.kmsKeyId;
    this.prefix = prefix;
  }

  nameFor(clusterName: string, item: string): string {
    checkSegments(clusterName, 'cluster name');
    checkSegments(item, 'secret item');
    const name = `${this.prefix}/${clusterName}/${item}`;
    if (name.length > NAME_MAX_CHARS) {
      throw new SpecValidationError('secret name', [`"${name}" has ${name.length} characters; Secrets Manager allows ${NAME_MAX_CHARS}`]);
    }
    return name;
  }

  /** The current (AWSCURRENT) value, or undefined when there is no such secret; ForeignSecretError when it is not ours. */
  async get(name: string): Promise<string | undefined> {
    const described = await this.describeOwned(name);
    if (described === undefined) return undefined;
    return this.currentValue(described.ARN!);
  }

  private async currentValue(secretId: string): Promise<string | undefined> {
    try {
      const answer = await this.client.send(new GetSecretValueCommand({ SecretId: secretId }));
      if (answer.SecretString !== undefined) return answer.SecretString;
      if (answer.SecretBinary !== undefined) return Buffer.from(answer.SecretBinary).toString('utf8');
      return undefined;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  /** The cluster a name is under: the segment after the prefix (cluster names have no "/"). */
  private clusterOf(name: string): string | undefined {
    if (!name.startsWith(`${this.prefix}/`)) return undefined;
    const cluster = name.slice(this.prefix.length + 1).split('/')[0];
    return cluster === '' ? undefined : cluster;
  }

  /**
   * DescribeSecret of `name`, once its KMS key, resource policy and cluster tag show that it is ours; undefined
   * when there is no such secret.
   * @throws ForeignSecretError naming the secret and every reason it is not ours
   */
  private async describeOwned(name: string): Promise<DescribeSecretCommandOutput | undefined> {
    const clusterName = this.clusterOf(name);
    if (clusterName === undefined) throw new ForeignSecretError(name, [`its name is not under the store's prefix "${this.prefix}/<cluster>/"`]);
    let described: DescribeSecretCommandOutput;
    try {
      described = await this.client.send(new DescribeSecretCommand({ SecretId: name }));
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return undefined;
      throw error;
    }
    const policy = await this.client.send(new GetResourcePolicyCommand({ SecretId: described.ARN! }));
    const reasons = foreignSecretReasons(
      {
        kmsKeyId: described.KmsKeyId,
        hasResourcePolicy: (policy.ResourcePolicy ?? '').trim() !== '',
        tags: Object.fromEntries((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      },
      { kmsKeyId: this.kmsKeyId, clusterName },
    );
    if (reasons.length > 0) throw new ForeignSecretError(name, reasons);
    return described;
  }

  /**
   * Creates the secret (KMS key, description, tags), or else updates it: a new version only when the value
   * differs, the description when it differs, the given tags set and other `etcd-ha:` tags removed. An existing
   * secret that is not ours is left as it is.
   * @returns the name, the secret's ARN, and whether a version was written.
   * @throws ForeignSecretError when a secret of that name exists but is not ours
   */
  async put(name: string, value: string, options: SecretPutOptions): Promise<SecretRef> {
    const bytes = Buffer.byteLength(value, 'utf8');
    if (bytes > SECRET_VALUE_MAX_BYTES) {
      throw new EtcdHaError(`secret ${name}: the value has ${bytes} bytes; Secrets Manager allows ${SECRET_VALUE_MAX_BYTES}`);
    }
    const tags = Object.entries(options.tags ?? {}).map(([Key, Value]): Tag => ({ Key, Value }));
    try {
      const created = await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          KmsKeyId: this.kmsKeyId,
          Description: options.description,
          ...(tags.length > 0 && { Tags: tags }),
        }),
      );
      return { name, id: created.ARN!, changed: true };
    } catch (error) {
      if (errorName(error) !== 'ResourceExistsException') throw error;
    }
    // Taken: ours (checked before anything is written), or refused. Deleted in between: a retry creates it.
    const described = await this.describeOwned(name);
    if (described === undefined) throw new EtcdHaError(`secret ${name} existed at CreateSecret but not at DescribeSecret: retry`);
    return this.update(name, value, options, tags, described);
  }

  /**
   * DeleteCluster: the secrets whose name starts with `<prefix>/<cluster>/` and whose `etcd-ha:cluster` tag names the
   * cluster (ListSecrets: names and tags, never values). One without the tag is not ours to delete: it is left alone.
   */
  async secretsOf(clusterName: string): Promise<string[]> {
    const start = this.nameFor(clusterName, 'x').slice(0, -'x'.length);
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(
        new ListSecretsCommand({ Filters: [{ Key: 'name', Values: [start] }, { Key: 'tag-key', Values: [CLUSTER_TAG] }], ...(nextToken && { NextToken: nextToken }) }),
      );
      for (const secret of page.SecretList ?? []) {
        // The name filter is a prefix match that ignores case: keep the exact prefix and the cluster's own tag only.
        const tagged = (secret.Tags ?? []).some((t) => t.Key === CLUSTER_TAG && t.Value === clusterName);
        if (secret.Name?.startsWith(start) && tagged) names.push(secret.Name);
      }
      nextToken = page.NextToken;
    } while (nextToken);
    return [...new Set(names)].sort();
  }

  /** DeleteCluster: deletes the secret without a recovery window, so that its name can be used again at once. */
  async deleteNow(name: string): Promise<{ deleted: boolean }> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, ForceDeleteWithoutRecovery: true }));
      return { deleted: true };
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') return { deleted: false };
      throw error;
    }
  }

  private async update(name: string, value: string, options: SecretPutOptions, tags: readonly Tag[], described: DescribeSecretCommandOutput): Promise<SecretRef> {
    const arn = described.ARN!;
    const current = await this.currentValue(arn);

    let changed = false;
    if (current !== value) {
      await this.client.send(new PutSecretValueCommand({ SecretId: arn, SecretString: value }));
      changed = true;
    }
    if ((described.Description ?? '') !== options.description) {
      await this.client.send(new UpdateSecretCommand({ SecretId: arn, Description: options.description }));
    }

    const present = new Map((described.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const toSet = tags.filter((t) => present.get(t.Key!) !== t.Value);
    const wanted = new Set(tags.map((t) => t.Key));
    const toRemove = [...present.keys()].filter((key) => key.startsWith(MANAGED_TAG_PREFIX) && !wanted.has(key));
    if (toSet.length > 0) await this.client.send(new TagResourceCommand({ SecretId: arn, Tags: toSet }));
    if (toRemove.length > 0) await this.client.send(new UntagResourceCommand({ SecretId: arn, TagKeys: toRemove }));

    return { name, id: arn, changed };
  }
}
