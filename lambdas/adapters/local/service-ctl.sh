#!/usr/bin/env bash
# A small process supervisor that stands in for systemctl on a simulated host (local mode has no
# systemd), so that the real host scripts run unchanged with ETCD_HA_SERVICE_CTL=/path/to/service-ctl.sh.
#
# Usage: service-ctl.sh daemon-reload
#        service-ctl.sh enable|start|stop|restart UNIT
#        service-ctl.sh is-active [--quiet] UNIT
# Inputs (environment):
#   ETCD_HA_ROOT  required: the simulated host's root dir
# Only the unit etcd is supervised: start runs the binary the unit's ExecStart= names
# (${ETCD_HA_ROOT}/etc/systemd/system/etcd.service, the first word of its last ExecStart= line, without
# arguments) as found on the simulated host, i.e. ${ETCD_HA_ROOT}<that path>: a simulated host has its own
# /usr/local/bin, as a real one would. A missing unit, or a binary missing or not executable there, fails
# naming the unit, the path and the host root. It reads ${ETCD_HA_ROOT}/etc/etcd/etcd.conf (KEY=value
# lines), starts etcd detached with exactly those variables (like systemd's EnvironmentFile=), appends its
# output to ${ETCD_HA_ROOT}/var/log/etcd-ha/etcd.log and writes its PID to ${ETCD_HA_ROOT}/run/etcd-ha/etcd.pid.
# daemon-reload and enable are no-ops. Other units are never active and cannot be started.
# It only ever signals the process it started: the PID must still have the recorded start time and
# run the recorded binary (${ETCD_HA_ROOT}<ExecStart path>, as started).
set -euo pipefail

die() {
  printf 'service-ctl: %s\n' "$*" >&2
  exit 1
}

usage() {
  printf 'usage: %s daemon-reload | enable|start|stop|restart UNIT | is-active [--quiet] UNIT\n' "$0" >&2
  exit 2
}

[[ -n "${ETCD_HA_ROOT:-}" ]] || die "ETCD_HA_ROOT is required (the simulated host's root dir)"
[[ "$ETCD_HA_ROOT" == /* ]] || die "ETCD_HA_ROOT must be an absolute path, got '$ETCD_HA_ROOT'"
ROOT="${ETCD_HA_ROOT%/}"
[[ -n "$ROOT" ]] || die "ETCD_HA_ROOT must not be / (local mode runs on simulated hosts only)"

ENV_FILE="$ROOT/etc/etcd/etcd.conf"
UNIT_FILE="$ROOT/etc/systemd/system/etcd.service"
RUN_DIR="$ROOT/run/etcd-ha"
PID_FILE="$RUN_DIR/etcd.pid"
# "<start time in clock ticks since boot> <binary>" of the process in PID_FILE: tells our etcd
# apart from an unrelated process that was given the same PID later.
PROC_FILE="$RUN_DIR/etcd.proc"
LOG_DIR="$ROOT/var/log/etcd-ha"
LOG_FILE="$LOG_DIR/etcd.log"
STOP_TIMEOUT_TENTHS=100 # 10 s before SIGKILL
KILL_TIMEOUT_TENTHS=50  # then 5 s more
STARTUP_WATCH_STEP=0.05 # s between two looks at a just-started etcd
STARTUP_WATCH_STEPS=20  # at most 1 s

# proc_field PID N: field N (1-based, as in proc(5)) of /proc/PID/stat; fails when the PID does not exist.
proc_field() {
  local stat rest fields
  stat="$(cat "/proc/$1/stat" 2>/dev/null)" || return 1
  # Field 2 (comm) is in parentheses and may contain spaces: split after the last ')'.
  rest="${stat##*) }"
  read -r -a fields <<<"$rest"
  printf '%s' "${fields[$(($2 - 3))]}"
}

proc_argv0() {
  local argv0=""
  IFS= read -r -d '' argv0 <"/proc/$1/cmdline" 2>/dev/null || true
  printf '%s' "$argv0"
}

read_pid_file() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(cat "$PID_FILE" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[1-9][0-9]*$ ]] || return 1
  printf '%s' "$pid"
}

# is_ours PID: the PID still denotes the process this supervisor started (running or a zombie).
is_ours() {
  local pid="$1" recorded_start recorded_bin start state argv0
  [[ -f "$PROC_FILE" ]] || return 1
  read -r recorded_start recorded_bin <"$PROC_FILE" || return 1
  start="$(proc_field "$pid" 22)" || return 1
  [[ "$start" == "$recorded_start" ]] || return 1
  state="$(proc_field "$pid" 3)" || return 1
  # A zombie has no cmdline left; its start time is enough to know it is ours.
  [[ "$state" == Z ]] && return 0
  argv0="$(proc_argv0 "$pid")"
  # Neither has a process that is exiting (its memory is released before it becomes a zombie): it is
  # still ours until it is reaped, and its sockets may still be open.
  [[ -z "$argv0" ]] && return 0
  [[ "$(basename -- "$argv0")" == "$(basename -- "$recorded_bin")" ]]
}

# is_running PID: ours, alive and not a zombie.
is_running() {
  is_ours "$1" && [[ "$(proc_field "$1" 3)" != Z ]]
}

# etcd_pid: prints the PID of our running etcd; fails when none is running.
etcd_pid() {
  local pid
  pid="$(read_pid_file)" || return 1
  is_running "$pid" || return 1
  printf '%s' "$pid"
}

# wait_gone PID TENTHS: waits until the PID no longer denotes our process: exited AND reaped
# (a zombie still holds its PID).
wait_gone() {
  local pid="$1" tenths="$2" i
  for ((i = 0; i < tenths; i++)); do
    is_ours "$pid" || return 0
    sleep 0.1
  done
  ! is_ours "$pid"
}

# holds_wal PID: the process has a write-ahead log segment (*.wal) open. etcd opens (or creates) its WAL
# after parsing its flags, loading its certificates, binding its ports, opening its backend and, for a new
# member, asking its peers whether it was bootstrapped already; it keeps it open while it runs.
# One find for all of its descriptors: this runs every 50 ms while several hosts start at once.
holds_wal() {
  [[ -n "$(find "/proc/$1/fd" -mindepth 1 -maxdepth 1 -lname '*.wal' -print -quit 2>/dev/null)" ]]
}

clear_pid_files() {
  rm -f -- "$PID_FILE" "$PID_FILE.new" "$PROC_FILE"
}

stop_etcd() {
  local pid
  if ! pid="$(read_pid_file)" || ! is_ours "$pid"; then
    clear_pid_files
    echo "etcd is not running"
    return 0
  fi
  if [[ "$(proc_field "$pid" 3)" != Z ]]; then
    kill -TERM "$pid" 2>/dev/null || true
  fi
  if ! wait_gone "$pid" "$STOP_TIMEOUT_TENTHS"; then
    if is_running "$pid"; then
      echo "etcd (pid $pid) did not stop within $((STOP_TIMEOUT_TENTHS / 10)) s, sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
    fi
    if ! wait_gone "$pid" "$KILL_TIMEOUT_TENTHS"; then
      if is_running "$pid"; then
        die "etcd (pid $pid) is still running after SIGKILL"
      fi
      # It has exited (its sockets and files are released) but its parent has not reaped it yet.
      echo "etcd (pid $pid) has exited but is not reaped yet by its parent" >&2
    fi
  fi
  clear_pid_files
  echo "etcd stopped (pid $pid)"
}

# unit_binary: prints the binary the unit's ExecStart= names, below the host root; dies naming the unit, the
# path and the host root when there is none to run.
unit_binary() {
  local line exec_start="" path extra
  [[ -f "$UNIT_FILE" ]] || die "cannot start etcd: the unit $UNIT_FILE does not exist (host root $ROOT)"
  while IFS= read -r line || [[ -n "$line" ]]; do
    line="${line#"${line%%[![:space:]]*}"}"
    [[ "$line" == ExecStart=* ]] && exec_start="${line#ExecStart=}"
  done <"$UNIT_FILE"
  read -r path extra <<<"$exec_start" || true
  [[ -n "${path:-}" ]] || die "cannot start etcd: the unit $UNIT_FILE has no ExecStart= (host root $ROOT)"
  [[ -z "${extra:-}" ]] || die "cannot start etcd: ExecStart=$exec_start in $UNIT_FILE has arguments; local mode runs the binary alone, with the env file's settings"
  [[ "$path" == /* && "/$path/" != */../* ]] ||
    die "cannot start etcd: ExecStart= in $UNIT_FILE must name an absolute path without '..', got '$path'"
  [[ -e "$ROOT$path" ]] ||
    die "cannot start etcd: the unit $UNIT_FILE starts $path, which does not exist on this host ($ROOT$path, host root $ROOT)"
  [[ -f "$ROOT$path" && -x "$ROOT$path" ]] ||
    die "cannot start etcd: the unit $UNIT_FILE starts $path, which is not an executable file on this host ($ROOT$path, host root $ROOT)"
  printf '%s' "$ROOT$path"
}

start_etcd() {
  local pid bin start i
  if pid="$(etcd_pid)"; then
    echo "etcd is already running (pid $pid)"
    return 0
  fi
  bin="$(unit_binary)"
  [[ -f "$ENV_FILE" ]] || die "cannot start etcd: $ENV_FILE does not exist"
  (umask 022 && mkdir -p -- "$RUN_DIR" "$LOG_DIR") || die "cannot create $RUN_DIR or $LOG_DIR"
  clear_pid_files
  printf -- '--- %s service-ctl: starting %s ---\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$bin" >>"$LOG_FILE"

  # A clean environment holding only the env file's variables (and PATH), like systemd's EnvironmentFile=;
  # env -u drops what bash itself exports (PWD, SHLVL, _). The
  # launcher shell writes its own PID ($$ stays the same across exec), so the PID is right whether or not
  # setsid has to fork. stdin is /dev/null; stdout and stderr go to the log; cwd is / as under systemd.
  # shellcheck disable=SC2016 # the single-quoted program is expanded by the launcher shell, not here
  (
    cd / &&
      exec setsid env -i PATH="$PATH" ${ETCD_UNSUPPORTED_ARCH:+ETCD_UNSUPPORTED_ARCH="$ETCD_UNSUPPORTED_ARCH"} \
        bash -c 'set -a && . "$1" && set +a && echo "$$" >"$2.new" && mv -f "$2.new" "$2" &&
          exec env -u PWD -u OLDPWD -u SHLVL -u _ "$3"' \
        etcd-launcher "$ENV_FILE" "$PID_FILE" "$bin" </dev/null >>"$LOG_FILE" 2>&1 &
  )

  for ((i = 0; i < 250; i++)); do
    pid="$(read_pid_file)" && break
    sleep 0.02
  done
  [[ -n "${pid:-}" ]] || die "etcd did not start: no PID in $PID_FILE after 5 s (see $LOG_FILE)"
  start="$(proc_field "$pid" 22)" || die "etcd (pid $pid) exited at once; last lines of $LOG_FILE:
$(tail -n 20 -- "$LOG_FILE")"
  printf '%s %s\n' "$start" "$bin" >"$PROC_FILE"

  # Catch an etcd that exits at once (bad flag, unreadable certificate, port in use, bad data dir): watch
  # it every 50 ms until it holds its write-ahead log open, which etcd does only once it is past all of
  # those, or for at most 1 s (an etcd still starting then, e.g. waiting on its peers, counts as started).
  # Until the launcher has exec'd etcd its cmdline is still bash's, so during this window only the start
  # time counts.
  for ((i = 0; i < STARTUP_WATCH_STEPS; i++)); do
    sleep "$STARTUP_WATCH_STEP"
    if [[ "$(proc_field "$pid" 22 2>/dev/null)" != "$start" || "$(proc_field "$pid" 3)" == Z ]]; then
      wait_gone "$pid" 30 || true
      clear_pid_files
      die "etcd (pid $pid) exited right after start; last lines of $LOG_FILE:
$(tail -n 20 -- "$LOG_FILE")"
    fi
    holds_wal "$pid" && break
  done
  is_running "$pid" || die "pid $pid is not running $bin after start (see $LOG_FILE)"
  echo "etcd started (pid $pid), log: $LOG_FILE"
}

unit_name() {
  local unit="${1%.service}"
  [[ "$unit" =~ ^[A-Za-z0-9@._-]+$ ]] || die "bad unit name '$1'"
  printf '%s' "$unit"
}

[[ $# -ge 1 ]] || usage
command="$1"
shift
case "$command" in
  daemon-reload)
    [[ $# -eq 0 ]] || usage
    ;;
  enable)
    [[ $# -eq 1 ]] || usage
    unit_name "$1" >/dev/null
    ;;
  is-active)
    quiet=false
    if [[ "${1:-}" == --quiet || "${1:-}" == -q ]]; then
      quiet=true
      shift
    fi
    [[ $# -eq 1 ]] || usage
    unit="$(unit_name "$1")"
    if [[ "$unit" == etcd ]] && etcd_pid >/dev/null; then
      [[ "$quiet" == true ]] || echo active
      exit 0
    fi
    [[ "$quiet" == true ]] || echo inactive
    exit 3
    ;;
  start | stop | restart)
    [[ $# -eq 1 ]] || usage
    unit="$(unit_name "$1")"
    [[ "$unit" == etcd ]] || die "$unit is not available in local mode"
    case "$command" in
      start) start_etcd ;;
      stop) stop_etcd ;;
      restart)
        stop_etcd
        start_etcd
        ;;
    esac
    ;;
  *) usage ;;
esac
