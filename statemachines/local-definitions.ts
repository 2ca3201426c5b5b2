// The workflow definitions the local runner runs, rendered from the same CDK chains `lib/` deploys with local
// settings. `npm run build` (scripts/render-definitions.ts) writes them to statemachines/rendered/ so that a local
// run reads JSON and never loads aws-cdk-lib; test/statemachines/rendered-definitions.test.ts proves the files
// equal what these chains render now.
import { renderAsl, type AslDefinition } from './render-asl';
import { PROVISION_STEPS, provisionClusterDefinition } from './provision-cluster';
import { REPLACE_STEPS, replaceMemberDefinition } from './replace-member';
import { MAINTENANCE_STEPS, setMaintenanceDefinition } from './set-maintenance';
import { HEALTH_CHECK_STEPS, checkClusterHealthDefinition } from './check-cluster-health';
import { DELETE_STEPS, deleteClusterDefinition } from './delete-cluster';
import { BACKUP_STEPS, backupClusterDefinition } from './backup-cluster';
import { DRILL_STEPS, drillRestoreDefinition } from './drill-restore';
import { RESTORE_STEPS, restoreClusterDefinition } from './restore-cluster';
import { SCALE_STEPS, scaleClusterDefinition } from './scale-cluster';
import { ADOPT_STEPS, adoptClusterDefinition } from './adopt-cluster';
import { CONNECT_STEPS, connectControlPlaneDefinition } from './connect-control-plane';
import type { LocalWorkflowName } from '../lambdas/local-runner/definitions';

/** Health checks of a local run (Check Health every 50 ms locally, each waiting for its answer). */
const LOCAL_HEALTH_CHECK_ATTEMPTS = 60;
/** Lock waits of a local run (each retry of Acquire Lock waits 50 ms locally). */
const LOCAL_LOCK_WAIT_ATTEMPTS = 20;

export const LOCAL_DEFINITIONS: Readonly<Record<LocalWorkflowName, () => AslDefinition>> = {
  'provision-cluster': () =>
    renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions, healthCheckAttempts: LOCAL_HEALTH_CHECK_ATTEMPTS })),
  'replace-member': () =>
    renderAsl(REPLACE_STEPS, (scope, functions) =>
      replaceMemberDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS, healthCheckAttempts: LOCAL_HEALTH_CHECK_ATTEMPTS }),
    ),
  'set-maintenance': () =>
    renderAsl(MAINTENANCE_STEPS, (scope, functions) => setMaintenanceDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS })),
  'check-cluster-health': () => renderAsl(HEALTH_CHECK_STEPS, (scope, functions) => checkClusterHealthDefinition(scope, { functions })),
  'delete-cluster': () =>
    renderAsl(DELETE_STEPS, (scope, functions) => deleteClusterDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS })),
  'backup-cluster': () => renderAsl(BACKUP_STEPS, (scope, functions) => backupClusterDefinition(scope, { functions })),
  'drill-restore': () => renderAsl(DRILL_STEPS, (scope, functions) => drillRestoreDefinition(scope, { functions })),
  'restore-cluster': () =>
    renderAsl(RESTORE_STEPS, (scope, functions) =>
      restoreClusterDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS, healthCheckAttempts: LOCAL_HEALTH_CHECK_ATTEMPTS }),
    ),
  'scale-cluster': () =>
    renderAsl(SCALE_STEPS, (scope, functions) =>
      scaleClusterDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS, healthCheckAttempts: LOCAL_HEALTH_CHECK_ATTEMPTS }),
    ),
  'adopt-cluster': () =>
    renderAsl(ADOPT_STEPS, (scope, functions) =>
      adoptClusterDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS, healthCheckAttempts: LOCAL_HEALTH_CHECK_ATTEMPTS }),
    ),
  'connect-control-plane': () => renderAsl(CONNECT_STEPS, (scope, functions) => connectControlPlaneDefinition(scope, { functions, lockWaitAttempts: LOCAL_LOCK_WAIT_ATTEMPTS })),
};
