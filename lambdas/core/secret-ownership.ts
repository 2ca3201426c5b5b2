// Is an existing Secrets Manager secret one etcd-ha made? Its name can be taken by anyone with CreateSecret, so a
// name alone proves nothing: a secret of ours is encrypted with the stack's KMS key (creating one with that key
// needs the key, which outsiders lack), has no resource policy (which could let others read it), and carries the
// etcd-ha:cluster tag of the cluster its name is under. Pure: the adapter gathers the facts.
import { CLUSTER_TAG } from '../catalog/contracts';

/** What DescribeSecret and GetResourcePolicy say about a secret. */
export interface SecretFacts {
  /** DescribeSecret's KmsKeyId: a key ID, key ARN, alias name or alias ARN; absent for the aws/secretsmanager key. */
  readonly kmsKeyId?: string;
  /** GetResourcePolicy returned a policy. */
  readonly hasResourcePolicy: boolean;
  readonly tags: Readonly<Record<string, string>>;
}

/** What a secret of ours must show. */
export interface SecretOwner {
  /** The stack's key, as the store is configured with it (ID, ARN or alias). */
  readonly kmsKeyId: string;
  /** The cluster the secret's name is under. */
  readonly clusterName: string;
}

interface KmsKeyRef {
  readonly kind: 'key' | 'alias';
  /** The key ID, or the alias name with its "alias/". */
  readonly id: string;
  readonly region?: string;
  readonly account?: string;
}

/** The parts of a KMS key reference in any form AWS accepts or returns. */
export function parseKmsKeyRef(text: string): KmsKeyRef {
  const arn = /^arn:[^:]+:kms:([^:]*):([^:]*):(key|alias)\/(.+)$/.exec(text);
  if (arn) return { kind: arn[3] as 'key' | 'alias', id: arn[3] === 'alias' ? `alias/${arn[4]}` : arn[4]!, region: arn[1], account: arn[2] };
  return text.startsWith('alias/') ? { kind: 'alias', id: text } : { kind: 'key', id: text };
}

/**
 * Whether two references name the same key without asking KMS: the same key ID (or alias), and the same region and
 * account where both say. A key ID and an alias of it cannot be matched without kms:DescribeKey: they count as different.
 */
export function sameKmsKey(a: string, b: string): boolean {
  const [x, y] = [parseKmsKeyRef(a), parseKmsKeyRef(b)];
  const agree = (p?: string, q?: string) => p === undefined || q === undefined || p === q;
  return x.kind === y.kind && x.id === y.id && agree(x.region, y.region) && agree(x.account, y.account);
}

/** Why the secret is not ours; empty when it is. */
export function foreignSecretReasons(facts: SecretFacts, owner: SecretOwner): string[] {
  const reasons: string[] = [];
  if (facts.kmsKeyId === undefined || facts.kmsKeyId === '') {
    reasons.push(`it is encrypted with the aws/secretsmanager key, not the stack's key ${owner.kmsKeyId}`);
  } else if (!sameKmsKey(facts.kmsKeyId, owner.kmsKeyId)) {
    reasons.push(`it is encrypted with KMS key ${facts.kmsKeyId}, not the stack's key ${owner.kmsKeyId}`);
  }
  if (facts.hasResourcePolicy) reasons.push('it has a resource policy, which may let other principals read or change it');
  const tag = facts.tags[CLUSTER_TAG];
  if (tag !== owner.clusterName) {
    reasons.push(tag === undefined ? `it has no ${CLUSTER_TAG} tag (expected "${owner.clusterName}")` : `its ${CLUSTER_TAG} tag is "${tag}", expected "${owner.clusterName}"`);
  }
  return reasons;
}
