// The step catalog (lambdas/catalog/steps.ts) against what reads it, and the import rules that keep it and the
// steps free of CDK and the AWS SDK: scanned from the import lines, no bundling.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ALL_STEPS, DELETE_STEPS, HEALTH_CHECK_STEPS, MAINTENANCE_STEPS, PROVISION_STEPS, REPLACE_STEPS, STEP_NAMES, STEP_SPECS, stepsOf, type WorkflowName } from '../../lambdas/catalog/steps';
import * as entry from '../../lambdas/entry/aws';
import { ENV } from '../../lambdas/catalog/contracts';
import { allStates, renderAsl, stepOfState, type AslDefinition } from '../../statemachines/render-asl';
import { provisionClusterDefinition } from '../../statemachines/provision-cluster';
import { replaceMemberDefinition } from '../../statemachines/replace-member';
import { setMaintenanceDefinition } from '../../statemachines/set-maintenance';
import { checkClusterHealthDefinition } from '../../statemachines/check-cluster-health';
import { deleteClusterDefinition } from '../../statemachines/delete-cluster';
import { BACKUP_STEPS, backupClusterDefinition } from '../../statemachines/backup-cluster';
import { DRILL_STEPS, drillRestoreDefinition } from '../../statemachines/drill-restore';
import { RESTORE_STEPS, restoreClusterDefinition } from '../../statemachines/restore-cluster';
import { SCALE_STEPS, scaleClusterDefinition } from '../../statemachines/scale-cluster';
import { ADOPT_STEPS, adoptClusterDefinition } from '../../statemachines/adopt-cluster';
import { CONNECT_STEPS, connectControlPlaneDefinition } from '../../statemachines/connect-control-plane';

const ROOT = resolve(__dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Every module a file imports or re-exports (`import … from 'x'`, `export … from 'x'`, `import 'x'`, `import('x')`), relative ones as paths from the root. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const patterns = [
    /^\s*(?:import|export)\s[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
    /^\s*import\s*['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  const specifiers = patterns.flatMap((pattern) => [...text.matchAll(pattern)].map((m) => m[1]!));
  return specifiers.map((s) => (s.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), s)) : s));
}

function violations(files: readonly string[], forbidden: (specifier: string) => boolean): string[] {
  return files.flatMap((file) => importsOf(file).filter(forbidden).map((s) => `${file} imports ${s}`));
}

describe('import rules', () => {
  it('finds the imports it checks (the scanner itself)', () => {
    assert.ok(importsOf('lib/step-access.ts').includes('lambdas/catalog/steps'));
    assert.ok(importsOf('lambdas/steps/index.ts').includes('lambdas/catalog/steps'));
    assert.ok(importsOf('statemachines/provision-cluster.ts').includes('aws-cdk-lib/aws-stepfunctions'));
  });

  it('no file under lambdas/steps/ imports from statemachines/ (nor lib/, nor CDK, nor an AWS SDK client)', () => {
    const files = sourceFiles('lambdas/steps');
    assert.ok(files.length > 20);
    assert.deepEqual(
      violations(files, (s) => s.startsWith('statemachines/') || s.startsWith('lib/') || /^(aws-cdk-lib|constructs|@aws-sdk\/)/.test(s)),
      [],
    );
  });

  it('the catalog imports nothing but itself: no aws-cdk-lib, no @aws-sdk, no steps or adapters', () => {
    const files = sourceFiles('lambdas/catalog');
    assert.ok(files.length >= 2);
    assert.deepEqual(violations(files, (s) => !s.startsWith('lambdas/catalog/')), []);
  });

  it('the Lambda entry imports nothing from statemachines/ or lib/ (the bundle carries no CDK)', () => {
    assert.deepEqual(violations(['lambdas/entry/aws.ts'], (s) => s.startsWith('statemachines/') || s.startsWith('lib/') || /^(aws-cdk-lib|constructs)/.test(s)), []);
  });

  it('the stack takes from the Lambdas only the contracts and pure core rules (e.g. the spec policy it checks at synth), never steps or adapters', () => {
    const allowed = (s: string) => s.startsWith('lambdas/catalog/') || s.startsWith('lambdas/core/') || s === 'lambdas/host-scripts';
    assert.deepEqual(violations(sourceFiles('lib'), (s) => s.startsWith('lambdas/') && !allowed(s)), []);
  });
});

const DEFINITIONS: Record<WorkflowName, AslDefinition> = {
  provisionCluster: renderAsl(PROVISION_STEPS, (scope, functions) => provisionClusterDefinition(scope, { functions })),
  replaceMember: renderAsl(REPLACE_STEPS, (scope, functions) => replaceMemberDefinition(scope, { functions })),
  setMaintenance: renderAsl(MAINTENANCE_STEPS, (scope, functions) => setMaintenanceDefinition(scope, { functions })),
  checkClusterHealth: renderAsl(HEALTH_CHECK_STEPS, (scope, functions) => checkClusterHealthDefinition(scope, { functions })),
  deleteCluster: renderAsl(DELETE_STEPS, (scope, functions) => deleteClusterDefinition(scope, { functions })),
  backupCluster: renderAsl(BACKUP_STEPS, (scope, functions) => backupClusterDefinition(scope, { functions })),
  drillRestore: renderAsl(DRILL_STEPS, (scope, functions) => drillRestoreDefinition(scope, { functions })),
  restoreCluster: renderAsl(RESTORE_STEPS, (scope, functions) => restoreClusterDefinition(scope, { functions })),
  scaleCluster: renderAsl(SCALE_STEPS, (scope, functions) => scaleClusterDefinition(scope, { functions })),
  adoptCluster: renderAsl(ADOPT_STEPS, (scope, functions) => adoptClusterDefinition(scope, { functions })),
  connectControlPlane: renderAsl(CONNECT_STEPS, (scope, functions) => connectControlPlaneDefinition(scope, { functions })),
};

describe('step catalog', () => {
  it('each workflow invokes exactly the steps the catalog says it runs, each from a state the catalog lists for it', () => {
    for (const [workflow, definition] of Object.entries(DEFINITIONS) as Array<[WorkflowName, AslDefinition]>) {
      const invoked = allStates(definition).flatMap(([name, state]) => {
        const step = stepOfState(state);
        return step === undefined ? [] : [[name, step] as const];
      });
      assert.deepEqual([...new Set(invoked.map(([, step]) => step))].sort(), [...stepsOf(workflow)].sort(), workflow);
      for (const [name, step] of invoked) {
        assert.ok(STEP_SPECS[step as keyof typeof STEP_SPECS].states.includes(name), `${workflow}: state "${name}" invokes ${step}, whose catalog entry does not list it`);
      }
    }
  });

  it('every state a catalog entry lists invokes that step in some workflow', () => {
    const invoking = new Set(
      Object.values(DEFINITIONS).flatMap((definition) => allStates(definition).map(([name, state]) => `${stepOfState(state)}/${name}`)),
    );
    for (const step of STEP_NAMES) {
      for (const state of STEP_SPECS[step].states) assert.ok(invoking.has(`${step}/${state}`), `${step}: no workflow has a state "${state}" that invokes it`);
    }
  });

  it('lists each step once, with a title, a description, a timeout within Lambda\'s and memory within its limits', () => {
    assert.deepEqual([...ALL_STEPS].sort(), [...STEP_NAMES].sort());
    for (const step of STEP_NAMES) {
      const spec = STEP_SPECS[step];
      assert.ok(spec.title.length > 0 && spec.does.length > 0 && spec.states.length > 0 && spec.workflows.length > 0, step);
      if ('seconds' in spec.timeout) assert.ok(spec.timeout.seconds >= 1 && spec.timeout.seconds <= 900, step);
      if (spec.memoryMb !== undefined) assert.ok(Number.isInteger(spec.memoryMb) && spec.memoryMb >= 128 && spec.memoryMb <= 10_240, step);
      assert.equal(new Set(spec.access).size, spec.access.length, `${step}: an access kind listed twice`);
    }
  });

  it('CheckClusterHealth is read-only: no lock, no write, no host command', () => {
    assert.deepEqual([...HEALTH_CHECK_STEPS], ['validateHealthCheckRequest', 'readClusterHealth']);
    assert.deepEqual(STEP_SPECS.validateHealthCheckRequest.access, ['readRegistry']);
    assert.deepEqual(STEP_SPECS.readClusterHealth.access, ['readRegistry', 'readHealthcheckClient', 'etcdNetwork']);
  });

  it('DeleteCluster: before the lock it only reads (record, secret names); secrets and record are deleted under the lock, which goes last', () => {
    assert.deepEqual([...DELETE_STEPS], ['acquireLock', 'resetJoiningHost', 'releaseLock', 'validateDeleteRequest', 'markClusterDeleting', 'deleteClusterSecrets', 'deleteClusterRecord']);
    assert.deepEqual(STEP_SPECS.validateDeleteRequest.access, ['readRegistry', 'listSecrets']);
    for (const step of ['markClusterDeleting', 'resetJoiningHost', 'deleteClusterSecrets', 'deleteClusterRecord'] as const) {
      assert.ok(STEP_SPECS[step].access.includes('renewClusterLock'), `${step} runs under the lock`);
    }
    // Only Delete Secrets deletes secrets, only Delete Record deletes the record.
    assert.deepEqual(STEP_NAMES.filter((s) => STEP_SPECS[s].access.includes('deleteSecrets')), ['deleteClusterSecrets']);
    assert.deepEqual(STEP_NAMES.filter((s) => STEP_SPECS[s].access.includes('deleteRecord')), ['deleteClusterRecord']);
  });

  it('the Lambda entry has one handler per step and the health probe, all reached through its one export by name', () => {
    for (const step of [...STEP_NAMES, 'healthProbe']) {
      assert.equal(typeof entry.handlerFor({ [ENV.step]: step }), 'function', `lambdas/entry/aws.ts has no handler "${step}"`);
    }
    assert.equal(typeof entry.handler, 'function');
  });
});
