// cdk-nag v3 acknowledgments (CDK's Validations): one rule, or some findings of it, with the reason.
// cdk-nag reads them on the resource and on every construct above it.
import { Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges `rule` on `scope`: the whole rule, or only the given findings of it (e.g. "Resource::*"
 * for AwsSolutions-IAM5), which leaves any other finding of the rule reported.
 */
export function acknowledge(scope: IConstruct, rule: string, reason: string, findings?: readonly string[]): void {
  if (reason.trim().length < 20) throw new Error(`the acknowledgment of ${rule} needs a reason, got "${reason}"`);
  const ids = findings === undefined ? [rule] : findings.map((finding) => `${rule}[${finding}]`);
  Validations.of(scope).acknowledge(...ids.map((id) => ({ id, reason })));
}
