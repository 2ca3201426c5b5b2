// etcd3 clients for tests: one per endpoint, so that status answers come from the member asked.
import { Etcd3, type IOptions } from 'etcd3';
import { noop } from 'cockatiel';
import type { CertKeyPair } from '../../lambdas/core/pki/issue';

export function mtlsClient(endpoint: string, caCertPem: string, client?: CertKeyPair): Etcd3 {
  const credentials: IOptions['credentials'] = { rootCertificate: Buffer.from(caCertPem) };
  if (client) {
    credentials.privateKey = Buffer.from(client.keyPem);
    credentials.certChain = Buffer.from(client.certPem);
  }
  // No retries: a refused client must fail at once, not after a backoff schedule.
  return new Etcd3({ hosts: [endpoint], credentials, dialTimeout: 2000, faultHandling: { global: noop, host: () => noop } });
}

/** Resolves with `promise` or rejects after `ms`, so a hung call fails the test instead of stalling it. */
export async function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
