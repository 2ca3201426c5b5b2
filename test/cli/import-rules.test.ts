// The command line only parses arguments and prints events: it runs workflows through the workflow runner port and
// its adapters, and never reaches past them into the steps, the CDK definitions or the local adapters.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'bin', 'cli');
const FORBIDDEN = ['lambdas/steps', 'statemachines', 'lambdas/adapters/local'];

/** Every module specifier of a file: import/export … from, import(), require(). */
function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const pattern of [/\bfrom\s+'([^']+)'/g, /\bimport\s*\(\s*'([^']+)'\s*\)/g, /\brequire\s*\(\s*'([^']+)'\s*\)/g, /^\s*import\s+'([^']+)'/gm]) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

describe('import rules', () => {
  const files = readdirSync(CLI, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts'));

  it('finds the command line’s files', () => assert.ok(files.length > 10));

  for (const file of files) {
    it(`bin/cli/${file} imports nothing from ${FORBIDDEN.join(', ')}`, () => {
      const path = join(CLI, file);
      const bad = specifiers(readFileSync(path, 'utf8'))
        .filter((s) => s.startsWith('.'))
        .map((s) => relative(ROOT, resolve(join(path, '..'), s)))
        .filter((target) => FORBIDDEN.some((dir) => target === dir || target.startsWith(`${dir}/`)));
      assert.deepEqual(bad, []);
    });
  }
});
