// What local mode knows about its cluster between commands: the registry record, and the local workflow runner
// (its home, its step deps, its host chores).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterRecord } from '../../lambdas/ports';
import type { LocalHome } from '../../lambdas/local-runner/local-home';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import { UsageError } from './output';

export function localRunner(env: NodeJS.ProcessEnv = process.env): LocalWorkflowRunner {
  return new LocalWorkflowRunner({ env });
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
