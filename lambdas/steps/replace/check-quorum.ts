// Check Quorum: refuse a change the cluster cannot commit (e.g. 2 of 3 down) before touching anything.
import { parseOrThrow } from '../../core/parse';
import { judgeAddition, judgeReplacement } from '../../core/quorum';
import { MemberStillHealthyError, QuorumLostError } from '../../core/errors';
import type { StepDeps } from '../deps';
import { ReplaceStateSchema } from './inputs';
import { endpointsOf, withAdmin } from './membership';

export interface QuorumCheck {
  readonly voters: number;
  readonly healthyOthers: number;
  readonly quorum: number;
  /** The failed member is no voter any more (removed earlier): only its replacement is to be added. */
  readonly alreadyRemoved: boolean;
}

export function makeCheckQuorum(deps: Pick<StepDeps, 'secrets' | 'etcd' | 'log'>) {
  return async function checkQuorum(raw: unknown): Promise<QuorumCheck> {
    // Read Cluster read the record under the lock: hosts and failed are the truth now.
    const { spec, hosts, failed, pki, force } = parseOrThrow(ReplaceStateSchema, raw, 'Check Quorum input');
    return withAdmin(deps, pki, async (admin): Promise<QuorumCheck> => {
      const view = await admin.inspect(endpointsOf(hosts, spec));
      const answered = new Set(view.statuses.filter((s) => s.ok).map((s) => s.endpoint));
      // Without quorum etcd 3.5 cannot serve the member list (it is linearizable; 3.4 answers from the member
      // asked): judge the recorded members then.
      const fromRecord = view.members.length === 0;
      const facts = fromRecord
        ? hosts.map((h) => ({ name: h.name, id: '', learner: false, healthy: endpointsOf([h], spec).some((url) => answered.has(url)) }))
        : view.members.map((m) => ({ name: m.name, id: m.id, learner: m.isLearner, healthy: m.clientURLs.some((url) => answered.has(url)) }));
      const basis = fromRecord ? ` (The member list could not be read (etcd 3.5 serves it only with quorum): judged from the ${hosts.length} recorded members.)` : '';
      const verdict = judgeReplacement(facts, failed.name, { force, clusterName: spec.clusterName });
      if (failed.removed || (!verdict.safe && verdict.reason === 'not-a-member')) {
        // Removed already (by an execution that removed every dead voter, or a re-run after Remove Dead
        // Members): only the addition is left, and it needs a quorum of the voters as they are.
        const addition = judgeAddition(facts, spec.clusterName);
        if (!addition.safe) throw new QuorumLostError(`${addition.message}${basis}`);
        return { voters: addition.voters, healthyOthers: addition.healthy, quorum: addition.quorum, alreadyRemoved: true };
      }
      if (!verdict.safe && verdict.reason === 'quorum-lost') throw new QuorumLostError(`${verdict.message}${basis}`);
      if (!verdict.safe) throw new MemberStillHealthyError(verdict.message);
      deps.log.info('quorum allows the change', { cluster: spec.clusterName, ...verdict });
      return { voters: verdict.voters, healthyOthers: verdict.healthyOthers, quorum: verdict.quorum, alreadyRemoved: false };
    });
  };
}
