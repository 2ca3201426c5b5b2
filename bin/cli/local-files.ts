// The healthcheck client certificate as files for etcdctl, in a 0700 directory. The key file is 0600 and its content is
// never printed: `local env` prints paths only.
import { mkdirSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';

export interface ClientFiles {
  readonly cacert: string;
  readonly cert: string;
  readonly key: string;
}

export function clientFilePaths(clientDir: string): ClientFiles {
  return { cacert: join(clientDir, 'ca.crt'), cert: join(clientDir, 'healthcheck-client.crt'), key: join(clientDir, 'healthcheck-client.key') };
}

export function writeClientFiles(clientDir: string, client: { caCertPem: string; certPem: string; keyPem: string }): ClientFiles {
  mkdirSync(clientDir, { recursive: true, mode: 0o700 });
  // Also when it was there before (mkdir's mode applies only to a directory it creates): the key is in it.
  chmodSync(clientDir, 0o700);
  const paths = clientFilePaths(clientDir);
  writeFileSync(paths.cacert, client.caCertPem, { mode: 0o644 });
  writeFileSync(paths.cert, client.certPem, { mode: 0o644 });
  writeFileSync(paths.key, client.keyPem, { mode: 0o600 });
  chmodSync(paths.key, 0o600);
  return paths;
}
