// What local mode knows about its cluster between commands: the registry record and the step deps.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterRecord } from '../../lambdas/ports';
import { localHome, type LocalHome } from '../../lambdas/local-runner/local-home';
import { localDeps } from '../../lambdas/local-runner/local-deps';
import { etcdVersionOf, localEtcdBinary } from '../../lambdas/local-runner/etcd-binaries';
import type { ReplaceDeps } from '../../lambdas/steps/replace';
import { UsageError } from './output';

export interface LocalContext {
  readonly home: LocalHome;
  readonly deps: ReplaceDeps;
  /** What the simulated hosts start, e.g. "etcd 3.5.16 (/path/to/etcd)" (asks the binary: only when shown). */
  describeEtcd(): string;
}

export function localContext(env: NodeJS.ProcessEnv = process.env): LocalContext {
  const home = localHome(env);
  const etcdBinary = localEtcdBinary(env);
  const deps = localDeps(home, {
    // Tests move the simulated hosts off 127.0.0.11+ so that they never touch a cluster `npm start` left running.
    ...(env.ETCD_HA_LOCAL_FIRST_ADDRESS && { firstAddress: env.ETCD_HA_LOCAL_FIRST_ADDRESS }),
    ...(etcdBinary !== undefined && { etcdBinary }),
  });
  return { home, deps, describeEtcd: () => `etcd ${etcdVersionOf(etcdBinary) ?? '(version unknown)'} (${etcdBinary ?? 'on the PATH'})` };
}

/** The recorded local cluster, if any (local mode runs one cluster at a time). */
export function recordedCluster(home: LocalHome): ClusterRecord | undefined {
  if (!existsSync(home.registryDir)) return undefined;
  const files = readdirSync(home.registryDir).filter((f) => f.endsWith('.json'));
  if (files.length === 0) return undefined;
  return JSON.parse(readFileSync(join(home.registryDir, files[0]!), 'utf8')) as ClusterRecord;
}

export function requireRecordedCluster(home: LocalHome): ClusterRecord {
  const record = recordedCluster(home);
  if (!record) throw new UsageError('no local cluster: start one with `npx etcd-ha local up`');
  return record;
}
