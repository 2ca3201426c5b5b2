// Loads the workflow definitions rendered at build time (statemachines/rendered/*.asl.json, written by
// `npm run build`). In the files a Task names its step as "etcd-ha-step:<step>", with no account or region; loaded,
// it carries the placeholder function ARN the local runner maps to the step's handler.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_FUNCTION_ARN_PREFIX, type AslDefinition } from './asl';

export const LOCAL_WORKFLOWS = ['provision-cluster', 'replace-member', 'set-maintenance', 'check-cluster-health', 'delete-cluster', 'backup-cluster', 'drill-restore', 'restore-cluster', 'scale-cluster', 'adopt-cluster', 'connect-control-plane'] as const;
export type LocalWorkflowName = (typeof LOCAL_WORKFLOWS)[number];

/** Where `npm run build` writes the rendered definitions. */
export const RENDERED_DIR = join(__dirname, '..', '..', 'statemachines', 'rendered');

/** How a Task names its step in a rendered file. */
export const STEP_RESOURCE_PREFIX = 'etcd-ha-step:';

export function renderedDefinitionPath(name: LocalWorkflowName, dir = RENDERED_DIR): string {
  return join(dir, `${name}.asl.json`);
}

/** The definition as a file holds it: the placeholder ARNs written as step tokens. */
export function toRenderedFile(definition: AslDefinition): string {
  return `${JSON.stringify(definition, null, 2).replaceAll(`"${LOCAL_FUNCTION_ARN_PREFIX}`, `"${STEP_RESOURCE_PREFIX}`)}\n`;
}

export function loadDefinition(name: LocalWorkflowName, dir = RENDERED_DIR): AslDefinition {
  const path = renderedDefinitionPath(name, dir);
  if (!existsSync(path)) {
    throw new Error(`the ${name} workflow definition is not rendered (${path} is missing): run \`npm run build\``);
  }
  return JSON.parse(readFileSync(path, 'utf8').replaceAll(`"${STEP_RESOURCE_PREFIX}`, `"${LOCAL_FUNCTION_ARN_PREFIX}`)) as AslDefinition;
}
