#!/usr/bin/env bash
# Says whether a freshly launched host has finished booting, i.e. whether its user data (which may install
# the etcd prerequisites) is done: one line "boot: <status>". Read-only; exits 0 whatever the status.
#   boot: none      cloud-init is not installed, or did not run on this boot (no /run/cloud-init)
#   boot: <status>  what `cloud-init status` says: done, running, error, disabled, not started, …
# `cloud-init status` exits non-zero for error (1) and recoverable error (2); the status line says which.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

if ! command -v cloud-init >/dev/null || [[ ! -d "$(host_path /run/cloud-init)" ]]; then
  echo "boot: none"
  exit 0
fi
answer="$(cloud-init status 2>&1 || true)"
status="$(sed -n 's/^status: *//p' <<<"$answer" | head -n 1)"
echo "boot: ${status:-unknown}"
