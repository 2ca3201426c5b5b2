#!/usr/bin/env bash
# Installs a member's certificates from a staging dir into kubeadm's certificatesDir
# (${ETCD_HA_ROOT}/etc/kubernetes/pki), then removes the staging dir so that no key copy lingers.
#
# Inputs:
#   PKI_BUNDLE_DIR  staging dir on the host (a real path, not prefixed with ETCD_HA_ROOT), laid out as
#                   under /etc/kubernetes/pki: etcd/ca.crt, etcd/server.{crt,key}, etcd/peer.{crt,key}, ...
# Files: *.key 0600, *.crt and *.pub 0644, anything else 0600; directories 0755; root:root when root.
# Refuses, installing nothing, when the bundle holds a CA key (hosts never hold one), a symlink or
# anything else that is not a plain file or directory. Never prints file contents.
set -euo pipefail
declare -F install_file >/dev/null || {
  echo "lib.sh must be prepended" >&2
  exit 2
}

require_var PKI_BUNDLE_DIR
[[ "$PKI_BUNDLE_DIR" == /* ]] || die "PKI_BUNDLE_DIR must be an absolute path, got '$PKI_BUNDLE_DIR'"
[[ -d "$PKI_BUNDLE_DIR" ]] || die "PKI bundle dir $PKI_BUNDLE_DIR does not exist (stage the bundle before each run)"

PKI_DIR="$(host_path /etc/kubernetes/pki)"
bundle="$(realpath -e -- "$PKI_BUNDLE_DIR")"
target="$(realpath -m -- "$PKI_DIR")"
# The staging dir is deleted at the end: make sure it cannot be the PKI dir itself, an ancestor of it,
# or a directory inside it.
if [[ "$bundle" == / || "$bundle" == "$target" || "$target" == "$bundle"/* || "$bundle" == "$target"/* ]]; then
  die "PKI_BUNDLE_DIR $PKI_BUNDLE_DIR overlaps the PKI dir $PKI_DIR; use a separate staging dir"
fi

# From here on the staging dir is ours to remove, whatever happens.
script_cleanup() {
  rm -rf -- "$bundle" && log "removed staging dir $bundle"
}

# 1. Check the whole bundle before installing anything.
files=()
problems=()
while IFS= read -r -d '' entry; do
  rel="${entry#"$bundle"/}"
  if [[ ! "$rel" =~ ^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$ ]]; then
    problems+=("unexpected name: $rel")
  elif [[ -L "$entry" ]]; then
    problems+=("symlink not allowed: $rel")
  elif [[ -d "$entry" ]]; then
    continue
  elif [[ ! -f "$entry" ]]; then
    problems+=("not a regular file: $rel")
  elif [[ "$(basename -- "$rel")" =~ ^(.*-)?ca\.key$ ]]; then
    problems+=("CA private key $rel: hosts never hold a CA key")
  else
    files+=("$rel")
  fi
done < <(find "$bundle" -mindepth 1 -print0 | sort -z)

if [[ "${#problems[@]}" -gt 0 ]]; then
  for problem in "${problems[@]}"; do printf 'error: %s\n' "$problem" >&2; done
  die "refusing to install the PKI bundle from $PKI_BUNDLE_DIR; nothing was installed"
fi
[[ "${#files[@]}" -gt 0 ]] || die "PKI bundle dir $PKI_BUNDLE_DIR holds no files"

# 2. Install.
ensure_dir "$PKI_DIR"
for rel in "${files[@]}"; do
  case "$rel" in
    *.crt | *.pub) mode=0644 ;;
    *) mode=0600 ;;
  esac
  install_file "$PKI_DIR/$rel" "$mode" <"$bundle/$rel"
done

if anything_changed; then
  log "PKI installed in $PKI_DIR"
else
  log "PKI already up to date in $PKI_DIR, nothing changed"
fi
