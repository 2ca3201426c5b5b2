// The stack's spec policy props → the SpecPolicy the Validate Spec function reads (SPEC_POLICY). Each list given
// replaces its default (so a deployment can narrow as well as widen it); a bad entry stops the synth naming the prop.
import { SpecPolicySchema, type SpecPolicy } from '../lambdas/core/spec-policy';

export interface SpecPolicyProps {
  /**
   * Registries `etcd.imageRepository` may name: an entry allows itself and the paths below it.
   * @default ["registry.k8s.io"] (kubeadm's)
   */
  readonly allowedImageRepositories?: readonly string[];
  /**
   * Directories `etcd.binaryPath` may lie below (absolute, no "..", not "/").
   * @default ["/usr/local/bin", "/usr/bin", "/opt/etcd"]
   */
  readonly allowedBinaryDirectories?: readonly string[];
  /**
   * Security-sensitive etcd flags (lambdas/core/spec-security-flags.ts: config-file, TLS files, plaintext URLs, …)
   * that `etcd.extraArgs` may set after all.
   * @default - none
   */
  readonly allowedEtcdSecurityFlags?: readonly string[];
}

const PROP_OF: Readonly<Record<keyof SpecPolicy, keyof SpecPolicyProps>> = {
  imageRepositories: 'allowedImageRepositories',
  binaryDirectories: 'allowedBinaryDirectories',
  etcdSecurityFlags: 'allowedEtcdSecurityFlags',
};

export function specPolicyFromProps(props: SpecPolicyProps): SpecPolicy {
  const result = SpecPolicySchema.safeParse({
    ...(props.allowedImageRepositories !== undefined && { imageRepositories: props.allowedImageRepositories }),
    ...(props.allowedBinaryDirectories !== undefined && { binaryDirectories: props.allowedBinaryDirectories }),
    ...(props.allowedEtcdSecurityFlags !== undefined && { etcdSecurityFlags: props.allowedEtcdSecurityFlags }),
  });
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const [field, index] = issue.path as [keyof SpecPolicy, number | undefined];
  const value = index === undefined ? undefined : props[PROP_OF[field]]?.[index];
  throw new Error(`${PROP_OF[field]}${index === undefined ? '' : `[${index}]`} ${issue.message}${value === undefined ? '' : `, got ${JSON.stringify(value)}`}`);
}
