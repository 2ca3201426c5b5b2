// Local mode's spec policy: the deployment defaults plus the etcd binaries the project fetches for itself (.etcd,
// where the local runner finds etcd 3.5), passed by the local composition root to Validate Spec.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalWorkflowRunner } from '../../lambdas/local-runner/local-workflow-runner';
import { PROJECT_ETCD_BIN_DIR, PROJECT_ETCD_DIR } from '../../lambdas/local-runner/etcd-binaries';
import { localSpecPolicy } from '../../lambdas/local-runner/local-spec-policy';
import { createProvisionSteps } from '../../lambdas/steps';
import { DEFAULT_SPEC_POLICY } from '../../lambdas/core/spec-policy';
import { SpecValidationError } from '../../lambdas/core/errors';
import { errorOf } from '../support/rejection';

const home = mkdtempSync(join(tmpdir(), 'etcd-ha-local-policy-'));
after(() => rmSync(home, { recursive: true, force: true }));

const spec = (binaryPath: string) => ({
  clusterName: 'local-policy',
  runtime: 'systemd',
  members: [{ name: 'infra0' }, { name: 'infra1' }, { name: 'infra2' }],
  etcd: { binaryPath },
});

describe('local mode: Validate Spec under the local composition root\'s policy', () => {
  const runner = new LocalWorkflowRunner({ env: { ETCD_HA_HOME: home, PATH: process.env.PATH } });
  const validateSpec = createProvisionSteps(runner.deps).validateSpec;
  const fetched = join(PROJECT_ETCD_BIN_DIR, 'etcd');

  // The policy judges the path as written (the file need not exist yet): never skipped.
  it('allows the etcd 3.5 binary the project fetches (.etcd/3.5/usr/bin/etcd)', async () => {
    const { spec: parsed } = (await validateSpec({ spec: spec(fetched) })) as { spec: { etcd: { binaryPath: string } } };
    assert.equal(parsed.etcd.binaryPath, fetched);
  });

  it('still refuses a binary outside the allowed directories, and one beside .etcd', async () => {
    for (const path of ['/tmp/etcd', `${PROJECT_ETCD_DIR}-evil/3.5/usr/bin/etcd`]) {
      const error = await errorOf(validateSpec({ spec: spec(path) }));
      assert.ok(error instanceof SpecValidationError, String(error));
      assert.match(error.message, /etcd\.binaryPath: .* is not below an allowed directory/);
    }
  });

  it('is the defaults plus the project\'s .etcd folder; a deployment on AWS does not get it', () => {
    assert.deepEqual(localSpecPolicy().binaryDirectories, [...DEFAULT_SPEC_POLICY.binaryDirectories, PROJECT_ETCD_DIR]);
    assert.equal(DEFAULT_SPEC_POLICY.binaryDirectories.includes(PROJECT_ETCD_DIR), false);
  });
});
