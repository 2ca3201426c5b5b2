// `etcd-ha local env`: etcdctl settings for the local cluster, to be eval'd. Paths only, never keys.
import { existsSync } from 'node:fs';
import { clientUrl } from '../../lambdas/core/etcd-flags';
import { localRunner, requireRecordedCluster } from './local-cluster';
import { clientFilePaths } from './local-files';
import { UsageError, type Output } from './output';

export function localEnv(output: Output): number {
  const runner = localRunner();
  const home = runner.home;
  const record = requireRecordedCluster(home);
  const spec = runner.recordedSpec(record);
  const files = clientFilePaths(home.clientDir);
  if (!existsSync(files.key)) throw new UsageError(`client certificate missing in ${home.clientDir}: run \`npx etcd-ha local up\` again`);
  const endpoints = record.members.map((m) => clientUrl(m.address, spec)).join(',');
  output.out(`export ETCDCTL_API=3 ETCDCTL_ENDPOINTS=${endpoints} ETCDCTL_CACERT=${files.cacert} ETCDCTL_CERT=${files.cert} ETCDCTL_KEY=${files.key}`);
  return 0;
}
