// One Lambda step of a workflow: a NodejsFunction bundled with the local esbuild (no Docker) from the AWS
// composition root (lambdas/entry/aws.ts), its own role and its own log group. The bundle is the same for
// every step; each function points at the step's export. The role starts with nothing but writing to its
// log group: the stack grants each step what it needs (lib/step-access.ts).
import { dirname, join } from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ENV } from '../lambdas/catalog/contracts';

/** The project root: the bundle's input dir (package-lock.json, lambdas/, node_modules/). */
export const PROJECT_ROOT = join(__dirname, '..');

/** The AWS composition root every step function runs. */
export const ENTRY = join(PROJECT_ROOT, 'lambdas', 'entry', 'aws.ts');

/**
 * Where the bundle's code sits inside the asset. etcd3 loads its gRPC definitions from `${__dirname}/../proto`
 * and the host-script builder reads `${__dirname}/*.sh` at run time, so the bundle goes one level down
 * (`app/index.js`) with the scripts beside it and etcd3's `proto/` next to `app/`.
 */
export const BUNDLE_DIR = 'app';

/** The Lambda runtime of every step: the newest Node.js LTS that aws-cdk-lib knows. */
export const STEP_RUNTIME = lambda.Runtime.NODEJS_24_X;

export interface EtcdNetwork {
  /** The VPC of the etcd members. */
  readonly vpc: ec2.IVpc;
  /** Subnets from which the function reaches the members' client port. */
  readonly subnets: readonly ec2.ISubnet[];
  /** Security group the members' client port admits. */
  readonly securityGroup: ec2.ISecurityGroup;
}

export interface StepFunctionProps {
  /** The export of lambdas/entry/aws.ts this function runs, e.g. "validateSpec". */
  readonly step: string;
  /** Shown in the console. */
  readonly description: string;
  /** Longest run of one invocation. */
  readonly timeout: Duration;
  /** Environment variables (lambdas/entry/aws.ts ENV). */
  readonly environment: Readonly<Record<string, string>>;
  /** How long the function's log events are kept. */
  readonly logRetention: logs.RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * The network from which the function talks to etcd.
   * @default - outside any VPC: etcd's client port must then be reachable from the Lambda service's network
   */
  readonly network?: EtcdNetwork;
  /**
   * Memory in MB (RSA key generation is CPU-bound, and Lambda's CPU grows with memory).
   * @default 512
   */
  readonly memorySize?: number;
  /**
   * Concurrent executions reserved for (and limiting) the function: 1 for the health probe, which must never overlap itself.
   * @default - none: the account's unreserved pool
   */
  readonly reservedConcurrentExecutions?: number;
}

/** etcd3's gRPC definitions, copied next to the bundle. */
function etcd3ProtoDir(): string {
  return join(dirname(require.resolve('etcd3/package.json', { paths: [PROJECT_ROOT] })), 'proto');
}

const shellQuote = (path: string) => `'${path.replace(/'/g, `'\\''`)}'`;

export class StepFunction extends Construct {
  readonly function: nodejs.NodejsFunction;
  readonly role: iam.Role;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: StepFunctionProps) {
    super(scope, id);
    if (!/^[a-z][A-Za-z0-9]*$/.test(props.step)) {
      throw new Error(`step must be the name of a step of lambdas/catalog/steps.ts or healthProbe (camelCase), got "${props.step}"`);
    }
    const memorySize = props.memorySize ?? 512;
    if (!Number.isInteger(memorySize) || memorySize < 128 || memorySize > 10_240) {
      throw new Error(`memorySize must be a whole number of MB from 128 to 10240, got ${memorySize}`);
    }

    this.logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention, removalPolicy: props.removalPolicy });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: `etcd-ha step ${props.step}`,
    });
    // Only its own log group (the explicit one below: Lambda never creates one).
    this.logGroup.grantWrite(this.role);
    if (props.network) {
      this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
    }

    const proto = etcd3ProtoDir();
    const scripts = join(PROJECT_ROOT, 'lambdas', 'host-scripts');
    this.function = new nodejs.NodejsFunction(this, 'Function', {
      entry: ENTRY,
      // One handler for every step: ETCD_HA_STEP tells it which (lambdas/entry/aws.ts).
      handler: `${BUNDLE_DIR}/index.handler`,
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: join(PROJECT_ROOT, 'package-lock.json'),
      runtime: STEP_RUNTIME,
      architecture: lambda.Architecture.ARM_64,
      description: props.description,
      timeout: props.timeout,
      memorySize,
      ...(props.reservedConcurrentExecutions !== undefined && { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, [ENV.step]: props.step, NODE_OPTIONS: '--enable-source-maps' },
      ...(props.network && {
        vpc: props.network.vpc,
        vpcSubnets: { subnets: [...props.network.subnets] },
        securityGroups: [props.network.securityGroup],
      }),
      bundling: {
        forceDockerBundling: false,
        format: nodejs.OutputFormat.CJS,
        minify: true,
        // Step Functions matches Retry/Catch on error names, which the error classes take from their own name.
        keepNames: true,
        sourceMap: true,
        sourcesContent: false,
        // The SDK clients are bundled: the versions the tests ran, not whatever the runtime ships.
        externalModules: [],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (_inputDir: string, outputDir: string) => [
            `mkdir -p ${shellQuote(join(outputDir, BUNDLE_DIR))} ${shellQuote(join(outputDir, 'proto'))}`,
            `mv ${shellQuote(join(outputDir, 'index.js'))} ${shellQuote(join(outputDir, 'index.js.map'))} ${shellQuote(join(outputDir, BUNDLE_DIR))}/`,
            `cp ${shellQuote(scripts)}/*.sh ${shellQuote(join(outputDir, BUNDLE_DIR))}/`,
            `cp ${shellQuote(proto)}/*.proto ${shellQuote(join(outputDir, 'proto'))}/`,
          ],
        },
      },
    });
  }
}
