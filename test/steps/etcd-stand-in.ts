// Stand-ins for the step tests that read etcd's view of a cluster without etcd: a secret store holding the
// healthcheck client (what withAdmin connects with), and an etcd admin whose inspect() answers a ClusterView
// built by the test while every membership change and snapshot fails the test. Not a suite itself.
import assert from 'node:assert/strict';
import type { ClusterMember, ClusterView, EtcdAdmin, EtcdAdminFactory, EtcdClientCredentials, SecretStore } from '../../lambdas/ports';

export const HEALTHCHECK_CLIENT: EtcdClientCredentials = { caCertPem: 'CA PEM', certPem: 'HEALTHCHECK CERT PEM', keyPem: 'HEALTHCHECK KEY PEM' };

/** The secrets' names of cluster "demo" with these members, as pkiRefs gives them. */
export function demoPkiRefs(names: readonly string[]) {
  return {
    ca: 'etcd-ha/demo/ca',
    healthcheckClient: 'etcd-ha/demo/healthcheck-client',
    apiserverEtcdClient: 'etcd-ha/demo/apiserver-etcd-client',
    members: Object.fromEntries(names.map((name) => [name, `etcd-ha/demo/member/${name}`])),
  };
}

/** Secrets named etcd-ha/<cluster>/<item>, holding only each cluster's healthcheck client; writes fail the test. */
export function secretsWithHealthcheckClient(step: string): SecretStore {
  return {
    nameFor: (cluster, item) => `etcd-ha/${cluster}/${item}`,
    get: async (name) => (name.endsWith('/healthcheck-client') ? JSON.stringify(HEALTHCHECK_CLIENT) : undefined),
    put: async () => assert.fail(`${step} writes no secret`),
  };
}

/** A member as etcd lists it, at `address` with the default ports; `id` is the API's decimal string. */
export function listedMember(name: string, address: string, id: string): ClusterMember {
  return { id, name, peerURLs: [`https://${address}:2380`], clientURLs: [`https://${address}:2379`], isLearner: false };
}

/** etcd's answer to inspect(endpoints): each endpoint answers its status unless it is in `silent`; `members` is the member list. */
export function viewOf(endpoints: readonly string[], members: readonly ClusterMember[], silent: readonly string[] = []): ClusterView {
  return {
    statuses: endpoints.map((endpoint) => (silent.includes(endpoint) ? { endpoint, ok: false, error: 'connect ECONNREFUSED' } : { endpoint, ok: true })),
    members,
    alarms: [],
  };
}

/** An etcd whose inspect() answers `answer(endpoints)`; `calls` records the client it was connected with, what was asked and the closes. */
export function etcdAnswering(answer: (endpoints: readonly string[]) => ClusterView, step: string) {
  const calls = { connectedWith: [] as EtcdClientCredentials[], inspected: [] as string[][], closed: 0 };
  const admin: EtcdAdmin = {
    inspect: async (endpoints) => {
      calls.inspected.push([...endpoints]);
      return answer(endpoints);
    },
    memberAdd: async () => assert.fail(`${step} changes no membership`),
    memberRemove: async () => assert.fail(`${step} changes no membership`),
    memberPromote: async () => assert.fail(`${step} changes no membership`),
    moveLeader: async () => assert.fail(`${step} moves no leader`),
    memberUpdate: async () => assert.fail(`${step} updates no member`),
    snapshot: async () => assert.fail(`${step} takes no snapshot`),
    close: async () => {
      calls.closed += 1;
    },
  };
  const etcd: EtcdAdminFactory = {
    connect: (credentials) => {
      calls.connectedWith.push(credentials);
      return admin;
    },
  };
  return { etcd, calls };
}
