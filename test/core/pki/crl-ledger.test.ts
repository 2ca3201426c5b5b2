// The revocation ledger's rules, alone: who is revoked (everyone not kept), each serial once, expired ones dropped,
// when a CRL is due, and a ledger out of shape refused with the field named.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { EMPTY_LEDGER, crlDue, isRevoked, noteIssued, parseLedger, revokeMembersNotKept } from '../../../lambdas/core/pki/crl-ledger';

const NOW = new Date('2026-03-01T10:00:00Z');
const cert = (serial: string, notAfter = '2027-01-01T00:00:00.000Z') => ({ serial, notAfter });

describe('revocation ledger', () => {
  const ledger = noteIssued(noteIssued(noteIssued(EMPTY_LEDGER, 'infra0', [cert('0a'), cert('0b')]), 'infra1', [cert('1a'), cert('1b')]), 'infra1', [cert('1a'), cert('1c')]);

  it('notes every serial issued to a member once, renewed pairs included', () => {
    assert.deepEqual(ledger.issued.infra1!.map((c) => c.serial), ['1a', '1b', '1c']);
    assert.equal(noteIssued(ledger, 'infra0', [cert('0A')]), ledger, 'a known serial changes nothing');
  });

  it('revokes every member not kept, with what its secret still held; keeps the others issued', () => {
    const { ledger: after, revokedMembers } = revokeMembersNotKept(ledger, { keep: ['infra0', 'infra3'], found: { infra1: [cert('1d')], infra9: [cert('9a', '2025-01-01T00:00:00.000Z')] }, now: NOW });
    assert.deepEqual(revokedMembers, ['infra1', 'infra9']);
    assert.deepEqual(after.revoked.map((r) => r.serial), ['1a', '1b', '1c', '1d'], 'an expired certificate needs no entry');
    assert.deepEqual(Object.keys(after.issued), ['infra0']);
    assert.ok(isRevoked(after, '001A'));
    assert.equal(isRevoked(after, '0a'), false);
    const again = revokeMembersNotKept(after, { keep: ['infra0'], found: { infra1: [cert('1d')] }, now: NOW });
    assert.deepEqual(again.ledger.revoked, after.revoked, 'each serial once');
  });

  it('a CRL is due without one, for another CA, for other serials, and 30 days before its nextUpdate', () => {
    const revoked = revokeMembersNotKept(ledger, { keep: ['infra0'], found: {}, now: NOW }).ledger;
    assert.equal(crlDue(revoked, 'ca1', undefined, NOW, 365), 'no CRL yet');
    const signed = { ...revoked, crl: { number: 1, caId: 'ca1', signedAt: NOW.toISOString(), pem: '-----BEGIN X509 CRL-----\n' } };
    const serials = ['1a', '1b', '1c'];
    assert.equal(crlDue(signed, 'ca1', serials, NOW, 365), undefined);
    assert.equal(crlDue(signed, 'ca2', serials, NOW, 365), 'signed by another CA');
    assert.equal(crlDue(signed, 'ca1', ['1a'], NOW, 365), 'the revoked serials changed');
    assert.equal(crlDue(signed, 'ca1', serials, new Date(NOW.getTime() + 335 * 86_400_000), 365), 'its nextUpdate is near');
  });

  it('refuses a ledger out of shape, naming the secret and the field; none yet is an empty one', () => {
    assert.deepEqual(parseLedger(undefined, 'etcd-ha/demo/revocation'), EMPTY_LEDGER);
    assert.throws(() => parseLedger('{"format":1,"issued":{},"revoked":[{"serial":"XYZ"}]}', 'etcd-ha/demo/revocation'), (error: Error) => {
      assert.match(error.message, /revocation ledger in secret etcd-ha\/demo\/revocation/);
      assert.match(error.message, /revoked\[0\]\.serial: must be a certificate serial in lower-case hex/);
      return true;
    });
  });
});
