// `etcd-ha local status [-o json]`: what each member says about itself right now (exit 3 when not healthy).
import { clientUrl } from '../../lambdas/core/etcd-flags';
import { judgeClusterHealth } from '../../lambdas/core/health';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { EXIT, printJson, type Output, type OutputFormat } from './output';
import { clusterHealthLines, type MemberStatusLine } from './members';

export async function localStatus(options: { format: OutputFormat }, output: Output): Promise<number> {
  const runner = localRunner();
  const { home, deps } = runner;
  const record = requireRecordedCluster(home);
  const spec = runner.recordedSpec(record);
  const client = await runner.healthcheckClient(record.secrets);
  const admin = deps.etcd.connect(client);
  try {
    const view = await admin.inspect(record.members.map((m) => clientUrl(m.address, spec)));
    const verdict = judgeClusterHealth(view, { members: record.members, clientPort: spec.etcd.clientPort, peerPort: spec.etcd.peerPort }, { maxAppliedIndexLag: deps.maxAppliedIndexLag });
    const members: MemberStatusLine[] = verdict.members.map((m) => ({
      name: m.name,
      id: m.id ?? '',
      endpoint: m.endpoint,
      healthy: m.healthy,
      leader: m.leader,
      learner: m.learner,
      ...(m.dbSize !== undefined && { dbSize: m.dbSize }),
    }));
    if (options.format === 'json') {
      printJson(output, { clusterName: record.clusterName, healthy: verdict.healthy, members, problems: verdict.problems, maintenance: record.maintenance ?? { paused: false, history: [] } });
    } else {
      const lines = clusterHealthLines({ clusterName: record.clusterName, healthy: verdict.healthy, members, problems: verdict.problems, ...(record.maintenance && { maintenance: record.maintenance }) });
      for (const line of lines) output.out(line);
    }
    return verdict.healthy ? EXIT.done : EXIT.notHealthy;
  } finally {
    await admin.close();
  }
}
