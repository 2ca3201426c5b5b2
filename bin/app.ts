// The CDK app (cdk.json: "npx tsx bin/app.ts"): the etcd-ha stack with its props from the context (see
// lib/context.ts), checked by cdk-nag's AWS Solutions rules. `cdk synth` needs neither credentials nor
// Docker: the stack is environment-agnostic and the functions are bundled with the local esbuild.
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stackPropsFromContext } from '../lib/context';
import { EtcdHaStack } from '../lib/etcd-ha-stack';

const app = new App();
new EtcdHaStack(app, 'EtcdHa', {
  description: 'etcd-ha: builds and heals highly-available etcd clusters for self-managed Kubernetes on EC2',
  ...stackPropsFromContext(app.node),
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
app.synth();
