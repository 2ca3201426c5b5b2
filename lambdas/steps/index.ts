// The steps of ProvisionCluster, built over whatever adapters a composition root chose.
import type { ProvisionStep } from '../../statemachines/provision-cluster';
import type { StepDeps, StepHandler } from './deps';
import { validateSpec } from './validate-spec';
import { makeResolveHosts } from './resolve-hosts';
import { makeGeneratePki } from './generate-pki';
import { makeHostSteps } from './host-steps';
import { makeCheckHealth } from './check-health';
import { makeCollectMemberLogs } from './collect-member-logs';
import { makeRecordCluster } from './record-cluster';

export function createProvisionSteps(deps: StepDeps): Record<ProvisionStep, StepHandler> {
  return {
    validateSpec,
    resolveHosts: makeResolveHosts(deps),
    generatePki: makeGeneratePki(deps),
    ...makeHostSteps(deps),
    checkHealth: makeCheckHealth(deps),
    collectMemberLogs: makeCollectMemberLogs(deps),
    recordCluster: makeRecordCluster(deps),
  };
}
