// Check Quorum: refuse a change the cluster cannot commit (e.g. 2 of 3 down) before touching anything.
import { parseOrThrow } from '../../core/parse';
import { judgeReplacement } from '../../core/quorum';
import { MemberStillHealthyError, QuorumLostError } from '../../core/errors';
import type { StepDeps } from '../deps';
import { ReplaceStateSchema } from './inputs';
import { endpointsOf, withAdmin } from './membership';

export interface QuorumCheck {
  /** False when, by the time this execution held the lock, another one had already replaced the member. */
  readonly stillNeeded: boolean;
  readonly voters: number;
  readonly healthyOthers: number;
  readonly quorum: number;
  readonly alreadyRemoved: boolean;
}

export function makeCheckQuorum(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log' | 'registry'>) {
  return async function checkQuorum(raw: unknown): Promise<QuorumCheck> {
    const { spec, hosts, failed, pki, force } = parseOrThrow(ReplaceStateSchema, raw, 'Check Quorum input');
    // Validate Request ran before the lock was ours: look again now that no other change can run.
    const record = await deps.registry.get(spec.clusterName);
    if (!record?.members.some((m) => m.name === failed.name && m.address === failed.address)) {
      deps.log.info('member already replaced by another execution', { cluster: spec.clusterName, member: failed.name });
      return { stillNeeded: false, voters: record?.members.length ?? 0, healthyOthers: 0, quorum: 0, alreadyRemoved: true };
    }
    return withAdmin(deps, pki, async (admin): Promise<QuorumCheck> => {
      const view = await admin.inspect(endpointsOf(hosts, spec));
      const answered = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
      // Without quorum etcd 3.5 cannot serve the member list (it is linearizable; 3.4 answers from the member
      // asked): judge the recorded members then.
      const fromRecord = view.members.length === 0;
      const facts = fromRecord
        ? hosts.map((h) => ({ name: h.name, id: '', learner: false, healthy: endpointsOf([h], spec).some((url) => answered.has(url)) }))
        : view.members.map((m) => ({ name: m.name, id: m.id, learner: m.isLearner, healthy: m.clientURLs.some((url) => answered.has(url)) }));
      const verdict = judgeReplacement(facts, failed.name, { force });
      if (!verdict.safe && verdict.reason === 'not-a-member') {
        // A re-run after Remove Failed Member: the removal already committed, carry on.
        const voters = facts.filter((f) => !f.learner);
        return { stillNeeded: true, voters: voters.length, healthyOthers: voters.filter((f) => f.healthy).length, quorum: 0, alreadyRemoved: true };
      }
      if (!verdict.safe && verdict.reason === 'quorum-lost') {
        const basis = fromRecord ? ` (The member list could not be read (etcd 3.5 serves it only with quorum): judged from the ${hosts.length} recorded members.)` : '';
        throw new QuorumLostError(`${verdict.message}${basis}`);
      }
      if (!verdict.safe) throw new MemberStillHealthyError(verdict.message);
      deps.log.info('quorum allows the change', { cluster: spec.clusterName, ...verdict });
      return { stillNeeded: true, voters: verdict.voters, healthyOthers: verdict.healthyOthers, quorum: verdict.quorum, alreadyRemoved: false };
    });
  };
}
