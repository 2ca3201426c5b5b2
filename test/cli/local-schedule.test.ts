// `etcd-ha local schedule` refuses what it cannot schedule before anything starts (exit 2, the flag named): a
// schedule it cannot read, a cron expression (AWS only), every schedule off, a bad retention, no local cluster.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../bin/cli/main';
import { EXIT, type Output } from '../../bin/cli/output';

function capture(): Output & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('etcd-ha local schedule: refused before anything starts', () => {
  const home = mkdtempSync(join(tmpdir(), 'etcd-ha-schedule-cli-'));
  const saved = process.env.ETCD_HA_HOME;
  process.env.ETCD_HA_HOME = join(home, 'home');
  after(() => {
    if (saved === undefined) delete process.env.ETCD_HA_HOME;
    else process.env.ETCD_HA_HOME = saved;
    rmSync(home, { recursive: true, force: true });
  });

  const refused: Array<[string[], RegExp]> = [
    [['--backup-every', 'soon'], /--backup-every must be "off", a rate such as "rate\(15 minutes\)".*got "soon"/],
    [['--backup-every', 'cron(0 3 * * ? *)'], /--backup-every: a cron expression runs on AWS only/],
    [['--backup-every', 'off', '--drill-every', 'off'], /nothing to schedule: every schedule is off/],
    [['--drill-every', 'cron(0 3 * * ? *)'], /--drill-every: a cron expression runs on AWS only/],
    [['--backup-retention', '{"dailyDays": -1}'], /--backup-retention[\s\S]*dailyDays: expected a whole number from 0 to 3650/],
    [['--for', 'a while'], /--for must be/],
    [['--runs', '0'], /--runs must be at least 1/],
    [[], /no local cluster/],
  ];
  for (const [flags, message] of refused) {
    it(`${flags.join(' ') || '(no local cluster)'}: exit 2`, async () => {
      const output = capture();
      assert.equal(await main(['local', 'schedule', ...flags], output), EXIT.usage);
      assert.match(output.stderr.join('\n'), message);
      assert.deepEqual(output.stdout, []);
    });
  }

  it('--help: exit 0, the flags listed', async () => {
    const help = capture();
    assert.equal(await main(['local', 'schedule', '--help'], help), EXIT.done);
    for (const flag of ['--backup-every <schedule>', '--drill-every <schedule>', '--backup-retention <json>', '--runs <n>', '--for <duration>']) assert.match(help.stdout.join('\n'), new RegExp(flag));
  });
});
