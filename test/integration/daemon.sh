# shellcheck shell=bash
# daemon.sh: start and stop a test server in the background, by PID file.
# Sourced by dnsserver.sh (knotd) and httpsserver.sh (nginx): the one copy of
# their start/stop code. (The Python servers have theirs in daemon.py.)
#
#   daemon_pid_alive PID              the process exists and is not a zombie
#   daemon_check_rundir LABEL RUNDIR SRCDIR
#                                     refuse a run directory in the source tree
#   daemon_stop LABEL PROG PIDFILE    SIGTERM exactly the PID of PIDFILE if its
#                                     command line still names PROG, wait up to
#                                     10 s, SIGKILL if it must; remove PIDFILE
#   daemon_stop_previous LABEL PROG PIDFILE
#                                     the same for a server of an earlier start,
#                                     quietly when there is none
#   daemon_run PIDFILE LOG CMD...     CMD as a background job, detached from our
#                                     stdout/stderr (ctest waits for them to
#                                     close); its PID in PIDFILE and $daemon_pid
#   daemon_wait LABEL PROG PIDFILE READY LOG...
#                                     poll READY (a command) every 0.1 s, up to
#                                     100 times; if the server exits first, or
#                                     never gets ready, print LOG... and fail
#                                     (stopping it in the second case)
#
# LABEL starts every message ("dnsserver.sh"); PROG names the server
# ("knotd"): a stale PID file whose number now belongs to another process
# kills nothing.

daemon_pid_alive() {
  local state
  kill -0 "$1" 2>/dev/null || return 1
  state=$(ps -o stat= -p "$1" 2>/dev/null || true)
  [[ -n $state && $state != Z* ]]
}

daemon_check_rundir() {
  local label=$1 rundir=$2 srcdir=$3
  case $rundir in
    "$srcdir"/fixtures* | "$srcdir"/test* | "$srcdir"/src* | "$srcdir"/scripts*)
      echo "$label: refusing to use $rundir inside the source tree" >&2
      return 1 ;;
  esac
}

daemon_stop() {
  local label=$1 prog=$2 pidfile=$3 pid i
  if [[ ! -f $pidfile ]]; then
    echo "$label: no $pidfile: not running"
    return 0
  fi
  pid=$(<"$pidfile")
  if [[ ! $pid =~ ^[0-9]+$ ]]; then
    echo "$label: bad PID file $pidfile" >&2
    return 1
  fi
  if daemon_pid_alive "$pid" && ! tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "$prog"; then
    echo "$label: PID $pid is not $prog (stale $pidfile); not killed" >&2
  elif daemon_pid_alive "$pid"; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
      daemon_pid_alive "$pid" || break
      sleep 0.1
    done
    if daemon_pid_alive "$pid"; then
      echo "$label: $prog $pid ignored SIGTERM; sending SIGKILL" >&2
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.2
    fi
  fi
  rm -f "$pidfile"
  echo "$label: $prog $pid stopped"
}

daemon_stop_previous() {
  local label=$1 prog=$2 pidfile=$3 pid
  [[ -f $pidfile ]] || return 0
  pid=$(<"$pidfile")
  if [[ $pid =~ ^[0-9]+$ ]] && daemon_pid_alive "$pid"; then
    echo "$label: stopping the previous $prog $pid"
    daemon_stop "$label" "$prog" "$pidfile"
  fi
  rm -f "$pidfile"
}

daemon_run() {
  local pidfile=$1 log=$2
  shift 2
  "$@" </dev/null >"$log" 2>&1 &
  daemon_pid=$!
  echo "$daemon_pid" >"$pidfile"
}

daemon_wait() {
  local label=$1 prog=$2 pidfile=$3 ready=$4 pid i
  shift 4
  pid=$(<"$pidfile")
  for ((i = 0; i < 100; i++)); do
    if ! daemon_pid_alive "$pid"; then
      echo "$label: $prog exited during start-up; log:" >&2
      cat "$@" >&2 2>/dev/null || true
      rm -f "$pidfile"
      return 1
    fi
    if "$ready"; then
      return 0
    fi
    sleep 0.1
  done
  echo "$label: $prog $pid is not ready after 10 s; log:" >&2
  cat "$@" >&2 2>/dev/null || true
  daemon_stop "$label" "$prog" "$pidfile" >&2
  return 1
}
