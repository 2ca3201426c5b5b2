// `npm run build`: renders the workflow definitions the local runner runs (statemachines/local-definitions.ts) to
// statemachines/rendered/*.asl.json, so that local runs never load aws-cdk-lib. Run by `npm install` (prepare),
// `npm start` and the test runner before the tests.
import { mkdirSync, writeFileSync } from 'node:fs';
import { LOCAL_DEFINITIONS } from '../statemachines/local-definitions';
import { LOCAL_WORKFLOWS, RENDERED_DIR, renderedDefinitionPath, toRenderedFile } from '../lambdas/local-runner/definitions';

mkdirSync(RENDERED_DIR, { recursive: true });
for (const name of LOCAL_WORKFLOWS) writeFileSync(renderedDefinitionPath(name), toRenderedFile(LOCAL_DEFINITIONS[name]()));
console.log(`rendered ${LOCAL_WORKFLOWS.length} workflow definitions to ${RENDERED_DIR}`);
