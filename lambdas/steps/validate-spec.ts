// Validate Spec: the first state of every workflow that takes a spec. A bad spec fails here, before anything is
// written: the schema's rules, and what the deployment lets a spec run on its hosts (its SpecPolicy: image
// registries, binary directories, security-sensitive etcd flags).
import { parseClusterSpec, type ClusterSpec } from '../core/spec';
import { DEFAULT_SPEC_POLICY, type SpecPolicy } from '../core/spec-policy';
import { SpecValidationError } from '../core/errors';

export function makeValidateSpec(deps: { readonly specPolicy?: SpecPolicy } = {}) {
  const policy = deps.specPolicy ?? DEFAULT_SPEC_POLICY;
  return async function validateSpec(input: unknown): Promise<{ spec: ClusterSpec }> {
    if (input === null || typeof input !== 'object' || !('spec' in input)) {
      throw new SpecValidationError('execution input', ['(root): must be { "spec": <cluster spec> } or a cluster spec']);
    }
    return { spec: parseClusterSpec((input as { spec: unknown }).spec, policy) };
  };
}

/** Validate Spec under the default policy (kubeadm's registry, the usual binary directories, no security flags). */
export const validateSpec = makeValidateSpec();
