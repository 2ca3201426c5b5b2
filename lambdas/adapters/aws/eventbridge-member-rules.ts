// The EC2 state-change rules, rewritten to list the member instances (lambdas/core/member-event-patterns.ts).
// PutRule replaces every property it is given and resets the others, so each rule is described first and put back
// with its own description and state; a rule whose pattern is already right is left alone (idempotent).
import { DescribeRuleCommand, PutRuleCommand, type EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { memberPatterns } from '../../core/member-event-patterns';

export interface EventBridgeMemberRulesProps {
  /** The EventBridge client, created once per module by the composition root. */
  readonly client: EventBridgeClient;
  /** The rules that share the member instances, in slot order (on the default bus). */
  readonly ruleNames: readonly string[];
  /** The instance states the rules match. */
  readonly states: readonly string[];
}

export interface MemberRulesOutcome {
  /** Rules whose pattern was rewritten. */
  readonly changed: readonly string[];
  /** Instance IDs no rule could take: more members than the rules hold. */
  readonly unplaced: readonly string[];
}

export class EventBridgeMemberRules {
  constructor(private readonly props: EventBridgeMemberRulesProps) {
    if (props.ruleNames.length === 0) throw new RangeError('ruleNames must name at least one rule');
  }

  /** Every rule's pattern lists its share of `instanceIds`. */
  async sync(instanceIds: readonly string[]): Promise<MemberRulesOutcome> {
    const { patterns, unplaced } = memberPatterns(instanceIds, this.props.states, this.props.ruleNames.length);
    const changed: string[] = [];
    for (const [i, name] of this.props.ruleNames.entries()) {
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
