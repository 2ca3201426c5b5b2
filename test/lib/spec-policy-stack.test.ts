// The spec policy from CDK context to the Validate Spec function: the context keys (lists, as cdk.json or
// `-c key=value` give them) become stack props, the props SPEC_POLICY on that one function, which the Lambda
// entry reads back. Bundling is skipped: these tests look at the template, not at the Lambda code.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stackPropsFromContext } from '../../lib/context';
import { EtcdHaStack, type EtcdHaStackProps } from '../../lib/etcd-ha-stack';
import { ENV } from '../../lambdas/catalog/contracts';
import { DEFAULT_SPEC_POLICY } from '../../lambdas/core/spec-policy';
import { specPolicyFrom } from '../../lambdas/entry/aws';
import { logicalId } from '../support/cdk-template';

process.env.CDK_VALIDATION = 'false';

const appWith = (context: Record<string, unknown> = {}) => new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });

/** The stack from context, and the Validate Spec function's environment. */
function synthFromContext(context: Record<string, unknown>) {
  const app = appWith(context);
  const stack = new EtcdHaStack(app, 'EtcdHa', stackPropsFromContext(app.node));
  const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
  const variables = (id: string): Record<string, unknown> => functions[id]!.Properties.Environment.Variables;
  return { stack, functions, validateSpecEnv: variables(logicalId(stack.steps.validateSpec.function)) };
}

describe('spec policy: context → stack → the Validate Spec function', () => {
  it('carries the context lists into SPEC_POLICY, which the Lambda entry reads back as the policy', () => {
    const { validateSpecEnv } = synthFromContext({
      allowedImageRepositories: 'registry.k8s.io, 123456789012.dkr.ecr.us-east-1.amazonaws.com/k8s',
      allowedBinaryDirectories: '["/opt/etcd", "/srv/etcd/bin"]',
      allowedEtcdSecurityFlags: 'log-outputs',
    });
    const text = validateSpecEnv[ENV.specPolicy];
    assert.equal(typeof text, 'string');
    assert.deepEqual(specPolicyFrom({ [ENV.specPolicy]: text as string }), {
      imageRepositories: ['registry.k8s.io', '123456789012.dkr.ecr.us-east-1.amazonaws.com/k8s'],
      binaryDirectories: ['/opt/etcd', '/srv/etcd/bin'],
      etcdSecurityFlags: ['log-outputs'],
    });
  });

  it('without context, writes the defaults (kubeadm\'s registry; /usr/local/bin, /usr/bin, /opt/etcd; no security flag)', () => {
    const { validateSpecEnv } = synthFromContext({});
    assert.deepEqual(JSON.parse(validateSpecEnv[ENV.specPolicy] as string), DEFAULT_SPEC_POLICY);
  });

  it('sets it on the Validate Spec function only', () => {
    const { stack, functions } = synthFromContext({ allowedImageRepositories: 'mirror.example.com' });
    const withPolicy = Object.entries(functions).filter(([, fn]) => ENV.specPolicy in fn.Properties.Environment.Variables).map(([id]) => id);
    assert.deepEqual(withPolicy, [logicalId(stack.steps.validateSpec.function)]);
  });

  const refused: Array<[string, EtcdHaStackProps, RegExp]> = [
    ['"/" as a binary directory', { allowedBinaryDirectories: ['/'] }, /^Error: allowedBinaryDirectories\[0\] must not be "\/".*, got "\/"$/],
    ['a binary directory that climbs out', { allowedBinaryDirectories: ['/opt/etcd/../../tmp'] }, /^Error: allowedBinaryDirectories\[0\] must not contain "\.\." segments/],
    ['no binary directory', { allowedBinaryDirectories: [] }, /^Error: allowedBinaryDirectories must name at least one directory/],
    ['a registry with a scheme', { allowedImageRepositories: ['https://mirror.example.com'] }, /^Error: allowedImageRepositories\[0\] must be a registry path such as registry\.k8s\.io, got "https:\/\/mirror\.example\.com"$/],
    ['a flag that is no security flag', { allowedEtcdSecurityFlags: ['snapshot-count'] }, /^Error: allowedEtcdSecurityFlags\[0\] must name a security-sensitive etcd flag .*, got "snapshot-count"$/],
  ];
  for (const [what, props, message] of refused) {
    it(`stops the synth on ${what}, naming the prop`, () => {
      assert.throws(() => new EtcdHaStack(appWith(), 'EtcdHa', props), message);
    });
  }
});

describe('specPolicyFrom (the Lambda entry)', () => {
  it('is the default when SPEC_POLICY is unset', () => assert.deepEqual(specPolicyFrom({}), DEFAULT_SPEC_POLICY));
  it('refuses what is not JSON, or not a policy, as a deployment problem naming the variable', () => {
    assert.throws(() => specPolicyFrom({ [ENV.specPolicy]: '/usr/bin' }), { name: 'EnvironmentConfigError', message: /SPEC_POLICY must be JSON/ });
    assert.throws(() => specPolicyFrom({ [ENV.specPolicy]: '{"binaryDirectories":["/"]}' }), { name: 'EnvironmentConfigError', message: /SPEC_POLICY is not a spec policy: binaryDirectories\.0: must not be "\/"/ });
  });
});
