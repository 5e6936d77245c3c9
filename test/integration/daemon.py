"""daemon.py: start and stop a test server in the background, by PID file.

The one copy of the start/stop code of the Python test servers
(faultdns.py, slowhttps.py; bench/delayproxy.py). The shell servers
(dnsserver.sh, httpsserver.sh) have theirs in daemon.sh. Python 3 standard
library only.

    start(NAME, RUNDIR, ARGV, READY, WHAT, BUSY)   stop the server of an
        earlier start in RUNDIR; refuse (1) if BUSY() says another one holds
        the address; run ARGV detached, its PID in RUNDIR/NAME.pid and its
        output in RUNDIR/NAME.log; return 0 once READY() is true, 1 (with
        the log) if it exits or never gets ready
    stop(NAME, RUNDIR)   SIGTERM exactly the PID of RUNDIR/NAME.pid if that
        process is still NAME.py, wait, SIGKILL if it must; 0 unless the PID
        file is unreadable

NAME is the script's name without ".py": the PID file, the log and the
check of /proc/PID/cmdline (a stale PID file whose number now belongs to
another process kills nothing) all derive from it.
"""

import os
import signal
import subprocess
import sys
import time


def pid_alive(pid):
    """The process exists and is not a zombie."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except OSError:
        return False


def pid_is(pid, name):
    """The command line of PID names NAME.py."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return (name + ".py").encode() in f.read()
    except OSError:
        return False


def _paths(name, rundir):
    rundir = os.path.abspath(rundir)
    return (rundir, os.path.join(rundir, name + ".pid"),
            os.path.join(rundir, name + ".log"))


def start(name, rundir, argv, ready, what, busy=None, tries=100, delay=0.1):
    """Start ARGV; see the module's text. WHAT ends the success line
    ("answering on 127.53.0.2 port 5300")."""
    rundir, pidfile, logpath = _paths(name, rundir)
    os.makedirs(rundir, exist_ok=True)
    if os.path.exists(pidfile):
        stop(name, rundir)
    if busy is not None and busy():
        sys.stderr.write("%s.py: something else is already %s\n" % (name, what))
        return 1
    with open(logpath, "ab") as logf:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf,
                                stderr=subprocess.STDOUT,
                                start_new_session=True, close_fds=True)
    with open(pidfile, "w") as f:
        f.write("%d\n" % proc.pid)
    for _ in range(tries):
        if proc.poll() is not None:
            sys.stderr.write("%s.py: the server exited (%d); log:\n"
                             % (name, proc.returncode))
            with open(logpath, errors="replace") as f:
                sys.stderr.write(f.read())
            os.unlink(pidfile)
            return 1
        if ready():
            print("%s.py: PID %d %s (run dir %s)" % (name, proc.pid, what, rundir))
            return 0
        time.sleep(delay)
    sys.stderr.write("%s.py: PID %d not ready after %.0f s: not %s\n"
                     % (name, proc.pid, tries * delay, what))
    stop(name, rundir)
    return 1


def stop(name, rundir):
    """Stop the server of RUNDIR/NAME.pid; see the module's text."""
    rundir, pidfile, _ = _paths(name, rundir)
    try:
        with open(pidfile) as f:
            pid = int(f.read().strip())
    except FileNotFoundError:
        print("%s.py: no %s: not running" % (name, pidfile))
        return 0
    except ValueError:
        sys.stderr.write("%s.py: bad PID file %s\n" % (name, pidfile))
        return 1
    if pid_alive(pid) and pid_is(pid, name):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not pid_alive(pid):
                break
            time.sleep(0.1)
        if pid_alive(pid):
            os.kill(pid, signal.SIGKILL)
            time.sleep(0.2)
        try:
            os.waitpid(pid, 0)  # reaps it if it is our child (start's caller)
        except ChildProcessError:
            pass
    elif pid_alive(pid):
        sys.stderr.write("%s.py: PID %d is not %s.py (stale %s); not killed\n"
                         % (name, pid, name, pidfile))
    os.unlink(pidfile)
    print("%s.py: PID %d stopped" % (name, pid))
    return 0
