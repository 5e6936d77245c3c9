"""labservers.py: what the self-contained integration tests share when they
start their own servers (dane_test.py, propagation_test.py): finding the
programs, a loopback unbound's configuration, and stopping every process
they started, by its PID, whatever happened."""

import os
import shutil
import signal
import subprocess


def which(name, *extra):
    """The path of NAME (PATH, then EXTRA paths), or None."""
    for p in [shutil.which(name)] + list(extra):
        if p and os.access(p, os.X_OK):
            return p
    return None


def unbound_conf(rundir, addr, port, stubs, validating=False, anchor=None):
    """Write RUNDIR/unbound.conf for an unbound in the foreground on
    ADDR@PORT (loopback upstreams allowed, no chroot, no privilege drop),
    with a stub zone per (zone, server address) of STUBS on PORT.
    VALIDATING: DNSSEC validation with the trust anchor file ANCHOR.
    Returns the path."""
    conf = os.path.join(rundir, "unbound.conf")
    modules = "validator iterator" if validating else "iterator"
    extra = ('    trust-anchor-file: "%s"\n    val-log-level: 2\n' % anchor
             if validating else "")
    with open(conf, "w") as f:
        f.write("""server:
    verbosity: 1
    interface: {a}
    port: {p}
    do-ip6: no
    do-not-query-localhost: no
    access-control: 127.0.0.0/8 allow
    username: ""
    chroot: ""
    directory: "{d}"
    pidfile: "{d}/unbound.pid"
    use-syslog: no
    logfile: ""
    module-config: "{m}"
    local-zone: "test." nodefault
    qname-minimisation: no
{x}remote-control:
    control-enable: no
""".format(a=addr, p=port, d=rundir, m=modules, x=extra))
        for zone, server in stubs:
            f.write('stub-zone:\n    name: "%s"\n    stub-addr: %s@%d\n'
                    % (zone, server, port))
    return conf


def stop(procs):
    """SIGTERM every process of PROCS still running, then wait for each
    (SIGKILL after 5 s)."""
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    for p in procs:
        try:
            p.wait(timeout=5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
