// The simulated kubeadm control-plane host lives with local mode (`etcd-ha local kubeadm-member` makes one too).
export * from '../../lambdas/local-runner/kubeadm-etcd-host';
