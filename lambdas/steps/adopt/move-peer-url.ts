// Move Peer URL: the adopted member advertises a loopback peer URL, which no new member could dial. etcd's own
// membership is told first (member update: on a single member it commits at once and needs no peer), then the host
// makes its static pod listen on and advertise the address (move-peer-url.sh: the manifest's peer URL flags; kubelet
// restarts etcd — the one restart the dry run announced) and waits until it answers there. Both halves converge
// when repeated.
import { z } from 'zod';
import { clientUrl } from '../../core/etcd-flags';
import { hexId } from '../../core/health';
import { parseOrThrow } from '../../core/parse';
import { ClusterSpecSchema } from '../../core/spec';
import { buildHostCommand } from '../../host-scripts';
import type { StepDeps } from '../deps';
import { HostSchema, PkiRefsSchema } from '../inputs';
import { LockRefSchema } from '../replace/inputs';
import { withAdmin } from '../replace/membership';
import { runOnHost } from '../run-on-host';
import { PeerUrlFixSchema } from './inputs';

const MoveInputSchema = z.object({ spec: ClusterSpecSchema, host: HostSchema, pki: PkiRefsSchema, peerUrlFix: PeerUrlFixSchema, lock: LockRefSchema });

export function makeMovePeerUrl(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'runner' | 'log' | 'hostCommandTimeoutSeconds'>) {
  return async function movePeerUrl(raw: unknown): Promise<{ member: string; from: string; to: string; updated: boolean }> {
    const { spec, host, pki, peerUrlFix } = parseOrThrow(MoveInputSchema, raw, 'Move Peer URL input');
    const endpoint = clientUrl(host.address, spec);
    const { updated } = await withAdmin(deps, pki, (admin) => admin.memberUpdate([endpoint], peerUrlFix.memberId, [peerUrlFix.to]));
    deps.log.info(updated ? 'peer URL updated in etcd' : 'peer URL already updated in etcd', { cluster: spec.clusterName, member: host.name, id: hexId(peerUrlFix.memberId), to: peerUrlFix.to });
    await runOnHost(deps, 'Move Peer URL', host, buildHostCommand('move-peer-url', { PEER_URL: peerUrlFix.to, CLIENT_URL: endpoint }));
    return { member: host.name, from: peerUrlFix.from, to: peerUrlFix.to, updated };
  };
}
