// The definitions local runs read (statemachines/rendered/, written by `npm run build`) are the ones the CDK chains
// render now: a chain changed without a build fails here, naming the file. They carry no account ID or region.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LOCAL_DEFINITIONS } from '../../statemachines/local-definitions';
import { LOCAL_WORKFLOWS, loadDefinition, renderedDefinitionPath } from '../../lambdas/local-runner/definitions';

describe('rendered workflow definitions', () => {
  for (const name of LOCAL_WORKFLOWS) {
    it(`${name}: the shipped file equals what the CDK chain renders now`, () => {
      assert.deepEqual(loadDefinition(name), LOCAL_DEFINITIONS[name](), `${renderedDefinitionPath(name)} is stale: run \`npm run build\``);
    });

    it(`${name}: names no account and no region`, () => {
      const text = readFileSync(renderedDefinitionPath(name), 'utf8');
      assert.doesNotMatch(text, /\b\d{12}\b/, 'no account ID');
      assert.doesNotMatch(text, /\b(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-\d\b/, 'no region');
      assert.match(text, /"Resource": "etcd-ha-step:/, 'Tasks name their step');
    });
  }
});
