// Who pauses or resumes healing, when --by does not say: Step Functions does not tell an execution who started it.
import { hostname, userInfo } from 'node:os';

export function defaultOperator(): string {
  let user = process.env.USER ?? 'unknown';
  try {
    user = userInfo().username;
  } catch {
    // no passwd entry (a container): $USER, or "unknown"
  }
  return `${user}@${hostname()}`;
}
