// Plain ASL as the local interpreter runs it: types, and how a Task state names the step that answers it.
// CDK-free: the local runner loads the definitions rendered at build time (statemachines/rendered/) through
// this module, so a local run never loads aws-cdk-lib.

/** The placeholder function ARN prefix `renderAsl` gives each Task; the rest is the step's name. */
export const LOCAL_FUNCTION_ARN_PREFIX = 'arn:aws:lambda:us-east-1:000000000000:function:etcd-ha-local-';

export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly [key: string]: unknown;
}

export interface AslState {
  readonly Type: string;
  readonly Resource?: string;
  readonly ItemProcessor?: AslDefinition;
  readonly Iterator?: AslDefinition;
  readonly Branches?: AslDefinition[];
  readonly [key: string]: unknown;
}

/** The step a Task state invokes, from its placeholder ARN; undefined for other states. */
export function stepOfState(state: AslState): string | undefined {
  return typeof state.Resource === 'string' && state.Resource.startsWith(LOCAL_FUNCTION_ARN_PREFIX)
    ? state.Resource.slice(LOCAL_FUNCTION_ARN_PREFIX.length)
    : undefined;
}

/** Every state of a definition, nested Map/Parallel states included, by name. */
export function allStates(definition: AslDefinition): Array<[string, AslState]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, AslState],
    ...[state.ItemProcessor, state.Iterator, ...(state.Branches ?? [])].filter((d): d is AslDefinition => d !== undefined).flatMap(allStates),
  ]);
}
