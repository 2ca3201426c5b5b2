// Validate Spec: the first state of every workflow. A bad spec fails here, before anything is written.
import { parseClusterSpec, type ClusterSpec } from '../core/spec';
import { SpecValidationError } from '../core/errors';

export async function validateSpec(input: unknown): Promise<{ spec: ClusterSpec }> {
  if (input === null || typeof input !== 'object' || !('spec' in input)) {
    throw new SpecValidationError('execution input', ['(root): must be { "spec": <cluster spec> } or a cluster spec']);
  }
  return { spec: parseClusterSpec((input as { spec: unknown }).spec) };
}
