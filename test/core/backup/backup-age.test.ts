// The last good backups' ages as metric points (lambdas/core/backup/backup-age.ts), with an injected clock.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { backupAgePoints, backupAgeSeconds, NO_BACKUP_AGE_SECONDS } from '../../../lambdas/core/backup/backup-age';

const NOW = new Date('2026-12-05T12:00:00Z');
const ago = (s: number) => new Date(NOW.getTime() - s * 1000);

describe('last good backup age', () => {
  it('whole seconds since the backup; a backup a little in the future (clock skew) is 0; none is 10 years', () => {
    assert.equal(backupAgeSeconds(ago(90.7), NOW), 90);
    assert.equal(backupAgeSeconds(ago(-3), NOW), 0);
    assert.equal(backupAgeSeconds(undefined, NOW), 10 * 365 * 86_400);
  });

  it('one point per cluster with its Cluster dimension, then the fleet: the oldest, without dimension', () => {
    const points = backupAgePoints([{ clusterName: 'a', takenAt: ago(60) }, { clusterName: 'b', takenAt: ago(1800) }], NOW);
    assert.deepEqual(points.map((p) => [p.dimensions?.Cluster ?? 'fleet', p.value]), [['a', 60], ['b', 1800], ['fleet', 1800]]);
    assert.ok(points.every((p) => p.name === 'LastGoodBackupAgeSeconds' && p.unit === 'Seconds'));
  });

  it('a cluster without any good backup makes the fleet as old as NO_BACKUP_AGE_SECONDS', () => {
    const points = backupAgePoints([{ clusterName: 'a', takenAt: ago(60) }, { clusterName: 'new' }], NOW);
    assert.equal(points.at(-1)!.value, NO_BACKUP_AGE_SECONDS);
  });

  it('no cluster recorded: only the fleet point, 0 (nothing to back up is not a missing backup)', () => {
    assert.deepEqual(backupAgePoints([], NOW), [{ name: 'LastGoodBackupAgeSeconds', value: 0, unit: 'Seconds' }]);
  });
});
