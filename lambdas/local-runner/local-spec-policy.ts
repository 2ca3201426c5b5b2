// What a spec may run on the simulated hosts: the deployment defaults, plus the etcd binaries the project fetches
// for itself (scripts/ensure-etcd.mjs → the gitignored .etcd folder, e.g. .etcd/3.5/usr/bin/etcd), which local
// mode and its tests start.
import { DEFAULT_SPEC_POLICY, type SpecPolicy } from '../core/spec-policy';
import { PROJECT_ETCD_DIR } from './etcd-binaries';

export function localSpecPolicy(projectEtcdDir = PROJECT_ETCD_DIR): SpecPolicy {
  return { ...DEFAULT_SPEC_POLICY, binaryDirectories: [...DEFAULT_SPEC_POLICY.binaryDirectories, projectEtcdDir] };
}
