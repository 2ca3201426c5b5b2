// What a rolling change is judged by while it runs: a writer that counts only acknowledged writes, and a
// watcher that asks every member for its status every few tens of milliseconds and keeps the lowest number
// that answered, with each member's etcd PID (a new PID is a restart).
import { setTimeout as sleep } from 'node:timers/promises';
import { Etcd3 } from 'etcd3';
import { mtlsClient, within } from './etcd-client';
import type { ClientSecret } from './local-cluster-oracle';

export interface Writer {
  /** Stops writing; gives the acknowledged keys and how many writes were tried. */
  stop(): Promise<{ acknowledged: string[]; attempts: number }>;
  acknowledgedSoFar(): number;
}

export function startWriter(endpoints: readonly string[], client: ClientSecret, prefix: string): Writer {
  const etcd = new Etcd3({
    hosts: [...endpoints],
    credentials: { rootCertificate: Buffer.from(client.caCertPem), certChain: Buffer.from(client.certPem), privateKey: Buffer.from(client.keyPem) },
  });
  const acknowledged: string[] = [];
  let writing = true;
  let attempts = 0;
  const loop = (async () => {
    for (let i = 0; writing; i++) {
      attempts += 1;
      const key = `${prefix}${String(i).padStart(6, '0')}`;
      try {
        await within(2000, 'put', etcd.put(key).value(String(i)).exec());
        acknowledged.push(key);
      } catch {
        // Not acknowledged: not counted, whether or not it landed.
        await sleep(20);
      }
    }
  })();
  return {
    acknowledgedSoFar: () => acknowledged.length,
    async stop() {
      writing = false;
      await loop;
      etcd.close();
      return { acknowledged, attempts };
    },
  };
}

export interface HealthWatch {
  stop(): Promise<{ samples: number; minAnswering: number; lowest: string[] }>;
}

/** Samples every member's status (one client each, 500 ms to answer) until stopped. */
export function watchHealth(members: ReadonlyArray<{ name: string; endpoint: string }>, client: ClientSecret): HealthWatch {
  const clients = members.map((m) => ({ name: m.name, etcd: mtlsClient(m.endpoint, client.caCertPem, client) }));
  let watching = true;
  let samples = 0;
  let minAnswering = Number.POSITIVE_INFINITY;
  let lowest: string[] = [];
  const loop = (async () => {
    while (watching) {
      const answers = await Promise.all(
        clients.map(async (c) => ({ name: c.name, ok: await within(500, 'status', c.etcd.maintenance.status()).then(() => true, () => false) })),
      );
      samples += 1;
      const answering = answers.filter((a) => a.ok).map((a) => a.name);
      if (answering.length < minAnswering) {
        minAnswering = answering.length;
        lowest = answering;
      }
      await sleep(50);
    }
  })();
  return {
    async stop() {
      watching = false;
      await loop;
      for (const c of clients) c.etcd.close();
      return { samples, minAnswering, lowest };
    },
  };
}
