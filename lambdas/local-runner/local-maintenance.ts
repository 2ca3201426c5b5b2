// SetMaintenance on one machine: the same definition `cdk deploy` installs, run by the local interpreter over the
// local adapters (the cluster's file lock, its record file). `etcd-ha local pause|resume` and the drills use it.
import { createMaintenanceSteps } from '../steps/maintenance';
import type { MaintenanceRequest } from '../core/workflow-io';
import type { ReplaceDeps } from '../steps/replace';
import { loadDefinition } from './definitions';
import { runWorkflow, type WorkflowEvent, type WorkflowResult } from './run-workflow';

export function setMaintenanceLocally(deps: ReplaceDeps, request: MaintenanceRequest, options: { readonly onEvent?: (event: WorkflowEvent) => void } = {}): Promise<WorkflowResult> {
  return runWorkflow({
    definition: loadDefinition('set-maintenance'),
    steps: createMaintenanceSteps(deps),
    input: request,
    ...(options.onEvent && { onEvent: options.onEvent }),
  });
}
