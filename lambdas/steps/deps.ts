// Everything a step may touch, chosen by a composition root (the Lambda entry or the local runner).
import type { Clock, ClusterRegistry, EtcdAdminFactory, HostDirectory, HostRunner, Logger, MemberNames, SecretStore } from '../ports';

export interface StepDeps {
  readonly secrets: SecretStore;
  readonly runner: HostRunner;
  readonly directory: HostDirectory;
  readonly etcd: EtcdAdminFactory;
  readonly registry: ClusterRegistry;
  readonly clock: Clock;
  readonly log: Logger;
  /** How long one host script may run (kubeadm may pull the etcd image). */
  readonly hostCommandTimeoutSeconds: number;
  /** Region a host passes to the AWS CLI when it fetches its member secret (AWS only). */
  readonly secretRegion?: string;
  /** Largest raft applied-index lag a healthy member may have. */
  readonly maxAppliedIndexLag: number;
  /**
   * Where the cluster's stable names are published (Record Cluster, Record Restored Cluster, DeleteCluster).
   * @default - none (a stack without a hosted zone): the steps publish no names and say so; the certificates carry them anyway
   */
  readonly names?: MemberNames;
}

export type StepHandler = (input: unknown) => Promise<unknown>;
