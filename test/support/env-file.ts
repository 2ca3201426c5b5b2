// Reads an EnvironmentFile the way systemd does for the values etcd-ha writes (KEY=value, optional double quotes).
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const eq = line.indexOf('=');
    env[line.slice(0, eq)] = line.slice(eq + 1).replace(/^"(.*)"$/, '$1');
  }
  return env;
}
