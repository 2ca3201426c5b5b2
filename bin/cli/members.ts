// The one member table of the command line: after a workflow (local or AWS) and in `status`.
import type { Output } from './output';

export interface MemberLine {
  readonly name: string;
  readonly id?: string;
  readonly endpoint: string;
  readonly leader?: boolean;
}

export function memberTableLines(members: readonly MemberLine[]): string[] {
  return members.map((m) => `  ${m.name.padEnd(10)} ${(m.id ?? '').padEnd(17)} ${m.endpoint}${m.leader ? '  (leader)' : ''}`);
}

export function printMemberTable(output: Output, members: readonly MemberLine[]): void {
  for (const line of memberTableLines(members)) output.out(line);
}
