#!/usr/bin/env bash
# kubeadm runtime: installs the kubelet configuration and the drop-in that makes kubelet a service
# manager for etcd's static pod, then (re)starts kubelet only when needed.
#
# Inputs:
#   KUBELET_CONFIG_B64  KubeletConfiguration  -> /etc/systemd/system/kubelet.service.d/kubelet.conf (0644)
#   KUBELET_DROPIN_B64  systemd drop-in       -> /etc/systemd/system/kubelet.service.d/20-etcd-service-manager.conf (0644)
# Either file changed: daemon-reload + restart kubelet. Both unchanged: start kubelet only if it is not
# active; never restart it.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var KUBELET_CONFIG_B64
require_var KUBELET_DROPIN_B64

DROPIN_DIR="$(host_path /etc/systemd/system/kubelet.service.d)"
install_b64 "$DROPIN_DIR/kubelet.conf" 0644 "$KUBELET_CONFIG_B64" KUBELET_CONFIG_B64
install_b64 "$DROPIN_DIR/20-etcd-service-manager.conf" 0644 "$KUBELET_DROPIN_B64" KUBELET_DROPIN_B64

if anything_changed; then
  service daemon-reload
  service restart kubelet
  log "kubelet restarted with the new configuration"
elif service_is_active kubelet; then
  log "kubelet already configured and running, nothing restarted"
else
  service start kubelet
  log "kubelet already configured; started it (it was not running)"
fi
