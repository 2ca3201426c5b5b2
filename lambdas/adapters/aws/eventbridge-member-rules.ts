// The EC2 state-change rules, rewritten to list the member instances (lambdas/core/member-event-patterns.ts).
// PutRule replaces every property it is given and resets the others, so each rule is described first and put back
// with its own description and state; a rule whose pattern is already right is left alone (idempotent).
import { DescribeRuleCommand, PutRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { memberPatterns } from '../../core/member-event-patterns';

/** Rules that match the same instance states and share the member instances among them (slots, in order). */
export interface MemberRuleFamily {
  readonly ruleNames: readonly string[];
  readonly states: readonly string[];
}

export interface EventBridgeMemberRulesProps {
  /** The EventBridge client, created once per module by the composition root. */
  readonly client: EventBridgeClient;
  /** Each family lists every member instance, for its states (on the default bus). */
  readonly families: readonly MemberRuleFamily[];
}

export interface MemberRulesOutcome {
  /** Rules whose pattern was rewritten. */
  readonly changed: readonly string[];
  /** Instance IDs no rule could take: more members than the rules hold. */
  readonly unplaced: readonly string[];
}

export class EventBridgeMemberRules {
  constructor(private readonly props: EventBridgeMemberRulesProps) {
    if (props.families.length === 0 || props.families.some((f) => f.ruleNames.length === 0)) throw new RangeError('every rule family must name at least one rule');
  }

  /** Every rule's pattern lists its share of `instanceIds`. */
  async sync(instanceIds: readonly string[]): Promise<MemberRulesOutcome> {
    const changed: string[] = [];
    const unplaced = new Set<string>();
    for (const family of this.props.families) {
      const outcome = await this.syncFamily(family, instanceIds);
      changed.push(...outcome.changed);
      for (const id of outcome.unplaced) unplaced.add(id);
    }
    return { changed, unplaced: [...unplaced] };
  }

  private async syncFamily(family: MemberRuleFamily, instanceIds: readonly string[]): Promise<MemberRulesOutcome> {
    const { patterns, unplaced } = memberPatterns(instanceIds, family.states, family.ruleNames.length);
    const changed: string[] = [];
    for (const [i, name] of family.ruleNames.entries()) {
      const rule = await this.props.client.send(new DescribeRuleCommand({ Name: name }));
      if (rule.EventPattern !== undefined && samePattern(rule.EventPattern, patterns[i]!)) continue;
      await this.props.client.send(
        new PutRuleCommand({
          Name: name,
          EventPattern: patterns[i]!,
          ...(rule.Description !== undefined && { Description: rule.Description }),
          ...(rule.State !== undefined && { State: rule.State }),
          ...(rule.RoleArn !== undefined && { RoleArn: rule.RoleArn }),
        }),
      );
      changed.push(name);
    }
    return { changed, unplaced };
  }
}

/** Patterns compared as JSON values (EventBridge may give back other whitespace). */
function samePattern(a: string, b: string): boolean {
  try {
    return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
  } catch {
    return false;
  }
}
