// Sync Member Rules: the EC2 state-change rules list every recorded member's instance (and those of removed members
// still awaiting their replacement, whose own event may come later), so that an event of any other instance starts
// no execution. Run on every change of the registry table (its stream) and on a schedule (a deploy puts the rules'
// placeholder patterns back).
import type { ClusterRegistry, Logger } from '../../ports';
import type { EventBridgeMemberRules, MemberRulesOutcome } from '../../adapters/aws/eventbridge-member-rules';

export interface SyncMemberRulesDeps {
  readonly registry: Pick<ClusterRegistry, 'list'>;
  readonly rules: Pick<EventBridgeMemberRules, 'sync'>;
  readonly log: Logger;
}

export function makeSyncMemberRules(deps: SyncMemberRulesDeps) {
  return async function syncMemberRules(): Promise<MemberRulesOutcome & { readonly instances: number }> {
    const records = await deps.registry.list();
    const ids = records.flatMap((r) => [...r.members, ...(r.removed ?? [])].flatMap((m) => (m.instanceId ? [m.instanceId] : [])));
    const outcome = await deps.rules.sync(ids);
    const instances = new Set(ids).size;
    if (outcome.unplaced.length > 0) {
      deps.log.warn('more member instances than the EC2 rules hold: these are not watched', { unplaced: outcome.unplaced });
    }
    deps.log.info('EC2 rules list the member instances', { instances, changed: outcome.changed });
    return { ...outcome, instances };
  };
}
