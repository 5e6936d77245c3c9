#!/usr/bin/env python3
"""dane_test.py: DANE for the MX hosts (issue 12 item 4, mx-transport.md
R169) against a real validating resolver, so that the AD bit is real.

    dane_test.py --bin BUILD/mtasts-check --rundir DIR

Starts, on 127.53.40.0/24 only, and stops again by PID whatever happens:
  knotd    127.53.40.1@5300: dane.test signed by Knot's automatic DNSSEC
           signing (keys in a fresh KASP database under DIR), insecure.test
           unsigned
  unbound  127.53.40.2@5300 in the foreground: validating, trust anchor =
           dane.test's DNSKEYs as Knot published them, stub zones to Knot
  smtpserver.py serve: 127.53.40.11 port 25 presents a certificate made
           here (its TLSA 3 1 1 is computed from it at test time), and
           127.53.40.12 one that expired in 2020 (DANE-EE ignores dates)
then runs mtasts-check --resolver 127.53.40.2:5300 for each case. Run under
flock /tmp/mts-integration.lock (ctest: integration.dane). Exit 77 (skip)
when knotd, kdig, unbound or openssl is missing.
"""

import argparse
import grp
import hashlib
import json
import os
import pwd
import shutil
import socket
import subprocess
import sys
import time

from labservers import stop, unbound_conf, which

HERE = os.path.dirname(os.path.abspath(__file__))
KNOT = "127.53.40.1"
UNBOUND = "127.53.40.2"
MX_ADDR = "127.53.40.11"
MX_OLD = "127.53.40.12"  # presents an expired certificate
PORT = 5300




def run(argv, **kw):
    return subprocess.run(argv, check=True, capture_output=True, text=True, **kw)


def make_cert(d, openssl):
    key = os.path.join(d, "mx.dane.test.key")
    pem = os.path.join(d, "mx.dane.test.pem")
    run([openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", pem,
         "-days", "30", "-subj", "/CN=mx.good.dane.test", "-addext",
         "subjectAltName=DNS:mx.good.dane.test,DNS:mx.bad.dane.test,"
         "DNS:mx.pkix.dane.test,DNS:mx.fail.dane.test,DNS:mx.insecure.test"])
    # TLSA 3 1 1: SHA-256 of the SubjectPublicKeyInfo (RFC 6698 §2.1).
    return pem, spki_sha256(openssl, pem)


def spki_sha256(openssl, pem):
    spki = subprocess.run(
        [openssl, "x509", "-in", pem, "-noout", "-pubkey"], check=True,
        capture_output=True).stdout
    der = subprocess.run([openssl, "pkey", "-pubin", "-outform", "DER"],
                         input=spki, check=True, capture_output=True).stdout
    return hashlib.sha256(der).hexdigest()


def make_expired(d, openssl):
    """A self-signed certificate that expired in 2020 (openssl 3.0 can
    backdate only through "openssl ca"): RFC 7672 §3.1.1, DANE-EE(3)
    ignores the dates."""
    ca = os.path.join(d, "ca")
    os.makedirs(os.path.join(ca, "new"))
    open(os.path.join(ca, "index.txt"), "w").close()
    with open(os.path.join(ca, "serial"), "w") as f:
        f.write("01\n")
    conf = os.path.join(ca, "openssl.cnf")
    with open(conf, "w") as f:
        f.write("""[ ca ]
default_ca = t
[ t ]
dir = {ca}
database = $dir/index.txt
serial = $dir/serial
new_certs_dir = $dir/new
default_md = sha256
policy = p
unique_subject = no
[ p ]
commonName = supplied
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = x
[ ext ]
basicConstraints = critical, CA:false
subjectAltName = DNS:mx.old.dane.test
""".format(ca=ca))
    key = os.path.join(d, "mx.old.dane.test.key")
    pem = os.path.join(d, "mx.old.dane.test.pem")
    csr = os.path.join(ca, "old.csr")
    run([openssl, "genpkey", "-algorithm", "EC", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-out", key])
    run([openssl, "req", "-new", "-config", conf, "-key", key, "-subj",
         "/CN=mx.old.dane.test", "-out", csr])
    run([openssl, "ca", "-batch", "-notext", "-selfsign", "-config", conf,
         "-keyfile", key, "-in", csr, "-out", pem, "-extensions", "ext",
         "-startdate", "20200101000000Z", "-enddate", "20200201000000Z"])
    return spki_sha256(openssl, pem)


def write_zones(d, digest, old_digest):
    wrong = "00" * 32
    soa = "@ 300 IN SOA ns.{z}. hostmaster.{z}. 1 3600 600 86400 300\n@ 300 IN NS ns.{z}.\nns 300 IN A %s\n" % KNOT
    # Valid _mta-sts and _smtp._tls records: only DANE findings remain.
    recs = "".join(
        '_mta-sts{l} 300 IN TXT "v=STSv1; id=1"\n'
        '_smtp._tls{l} 300 IN TXT "v=TLSRPTv1; rua=mailto:t@dane.test"\n'
        .format(l=l) for l in (".good", ".bad", ".pkix", ".fail", ".old"))
    signed = soa.format(z="dane.test") + recs + "".join([
        "good 300 IN MX 10 mx.good.dane.test.\n",
        "mx.good 300 IN A %s\n" % MX_ADDR,
        "_25._tcp.mx.good 300 IN TLSA 3 1 1 %s\n" % digest,
        "bad 300 IN MX 10 mx.bad.dane.test.\n",
        "mx.bad 300 IN A %s\n" % MX_ADDR,
        "_25._tcp.mx.bad 300 IN TLSA 3 1 1 %s\n" % wrong,
        "pkix 300 IN MX 10 mx.pkix.dane.test.\n",
        "mx.pkix 300 IN A %s\n" % MX_ADDR,
        "_25._tcp.mx.pkix 300 IN TLSA 1 1 1 %s\n" % digest,
        "old 300 IN MX 10 mx.old.dane.test.\n",
        "mx.old 300 IN A %s\n" % MX_OLD,
        "_25._tcp.mx.old 300 IN TLSA 3 1 1 %s\n" % old_digest,
        "fail 300 IN MX 10 mx.fail.dane.test.\n",
        "mx.fail 300 IN A %s\n" % MX_ADDR,
        # A lame delegation: Knot refuses _tcp.mx.fail, unbound SERVFAILs.
        "_tcp.mx.fail 300 IN NS ns.lame.dane.test.\n",
        "ns.lame 300 IN A %s\n" % KNOT,
    ])
    insecure = soa.format(z="insecure.test") + "".join([
        '_mta-sts 300 IN TXT "v=STSv1; id=1"\n',
        '_smtp._tls 300 IN TXT "v=TLSRPTv1; rua=mailto:t@insecure.test"\n',
        "@ 300 IN MX 10 mx.insecure.test.\n",
        "mx 300 IN A %s\n" % MX_ADDR,
        "_25._tcp.mx 300 IN TLSA 3 1 1 %s\n" % digest,
    ])
    with open(os.path.join(d, "dane.test.zone"), "w") as f:
        f.write("$ORIGIN dane.test.\n" + signed)
    with open(os.path.join(d, "insecure.test.zone"), "w") as f:
        f.write("$ORIGIN insecure.test.\n" + insecure)


def knot_conf(d):
    conf = os.path.join(d, "knot.conf")
    os.makedirs(os.path.join(d, "storage"), exist_ok=True)
    os.makedirs(os.path.join(d, "run"), exist_ok=True)
    with open(conf, "w") as f:
        f.write("""server:
    rundir: "{d}/run"
    user: {u}
    listen: {a}@{p}
control:
    listen: "{d}/run/knot.sock"
log:
  - target: stderr
    any: info
database:
    storage: "{d}/storage"
policy:
  - id: test
    algorithm: ecdsap256sha256
    nsec3: off
template:
  - id: default
    storage: "{d}"
    file: "%s.zone"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: dane.test
    dnssec-signing: on
    dnssec-policy: test
  - domain: insecure.test
""".format(d=d, a=KNOT, p=PORT,
           u="%s:%s" % (pwd.getpwuid(os.getuid()).pw_name,
                        grp.getgrgid(os.getgid()).gr_name)))
    return conf




def wait_for(kdig, server, name, rtype, want, tries=100):
    for _ in range(tries):
        r = subprocess.run([kdig, "@" + server, "-p", str(PORT), "+retry=0",
                            "+timeout=1", "+dnssec", "+noall", "+answer",
                            name, rtype], capture_output=True, text=True)
        if want in r.stdout:
            return r.stdout
        time.sleep(0.2)
    return None




# name, domain, exit code, dane.status, the code expected (or None), its
# severity, smtp.dane of the address
CASES = [
    ("match", "good.dane.test", 0, "ok", "MX_DANE_OK", "info", "ok"),
    ("mismatch", "bad.dane.test", 2, "mismatch", "MX_DANE_MISMATCH", "error",
     "mismatch"),
    ("pkix_only", "pkix.dane.test", 1, "unusable", "MX_DANE_UNUSABLE_TLSA",
     "warning", None),
    ("unsigned", "insecure.test", 1, "insecure", "MX_TLSA_INSECURE",
     "warning", None),
    # DANE-EE: an expired certificate still matches (MX_CERT_EXPIRED is
    # the PKIX verdict's, info without a policy).
    ("expired_ee", "old.dane.test", 0, "ok", "MX_DANE_OK", "info", "ok"),
    ("servfail", "fail.dane.test", 3, "unknown", "MX_TLSA_LOOKUP_FAILED",
     "error", None),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--rundir", required=True)
    args = ap.parse_args()
    knotd = os.environ.get("KNOTD") or which("knotd", "/usr/sbin/knotd")
    kdig = os.environ.get("KDIG") or which("kdig")
    unbound = which("unbound", "/usr/sbin/unbound")
    openssl = which("openssl")
    if not (knotd and kdig and unbound and openssl):
        print("dane_test.py: needs knotd, kdig, unbound, openssl: skipped")
        return 77
    d = os.path.abspath(args.rundir)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    procs = []
    fails = 0
    try:
        pem, digest = make_cert(d, openssl)
        write_zones(d, digest, make_expired(d, openssl))
        klog = open(os.path.join(d, "knotd.log"), "w")
        procs.append(subprocess.Popen([knotd, "-c", knot_conf(d)],
                                      stdout=klog, stderr=subprocess.STDOUT))
        keys = wait_for(kdig, KNOT, "dane.test", "DNSKEY", "DNSKEY")
        if keys is None or wait_for(kdig, KNOT, "good.dane.test", "MX",
                                    "RRSIG") is None:
            print("dane_test.py: Knot did not serve a signed dane.test")
            return 1
        anchor = os.path.join(d, "ta.key")
        with open(anchor, "w") as f:
            f.write("".join(l + "\n" for l in keys.splitlines()
                            if "\tDNSKEY\t" in l or " DNSKEY " in l))
        ulog = open(os.path.join(d, "unbound.log"), "w")
        conf = unbound_conf(d, UNBOUND, PORT, [("dane.test", KNOT),
                                               ("insecure.test", KNOT)],
                            validating=True, anchor=anchor)
        procs.append(subprocess.Popen([unbound, "-d", "-c", conf],
                                      stdout=ulog, stderr=subprocess.STDOUT))
        if wait_for(kdig, UNBOUND, "good.dane.test", "MX", "MX") is None:
            print("dane_test.py: unbound does not answer")
            return 1
        slog = open(os.path.join(d, "smtpserver.log"), "w")
        procs.append(subprocess.Popen(
            [sys.executable, os.path.join(HERE, "smtpserver.py"), "serve",
             "--tls-dir", d, MX_ADDR + "=mx.dane.test",
             MX_OLD + "=mx.old.dane.test"],
            stdout=slog, stderr=subprocess.STDOUT))
        for _ in range(100):
            try:
                with socket.create_connection((MX_ADDR, 25), timeout=0.5) as s:
                    if s.recv(4).startswith(b"220"):
                        break
            except OSError:
                pass
            time.sleep(0.1)
        for name, domain, code, status, finding, sev, sdane in CASES:
            r = subprocess.run(
                [args.bin, "--json", "--no-policy", "--timeout", "8",
                 "--resolver", "%s:%d" % (UNBOUND, PORT), "--ca-file", pem,
                 domain], capture_output=True, text=True)
            why = []
            try:
                doc = json.loads(r.stdout)
                host = doc["mta_sts"]["mx"]["hosts"][0]
                dane = host["dane"]
                codes = {(f["code"], f["severity"]) for f in doc["findings"]}
                if r.returncode != code:
                    why.append("exit %d, want %d" % (r.returncode, code))
                if dane["status"] != status:
                    why.append("dane.status %s, want %s" % (dane["status"],
                                                            status))
                if finding and (finding, sev) not in codes:
                    why.append("no %s:%s in %s" % (finding, sev, codes))
                smtp = host["addresses"][0]["smtp"]
                if smtp["dane"] != sdane:
                    why.append("smtp.dane %r, want %r" % (smtp["dane"], sdane))
                # The PKIX verdict is its own fact (the --ca-file anchor).
                if name in ("match", "mismatch") and smtp["cert"]["trusted"] is not True:
                    why.append("smtp.cert.trusted %r" % smtp["cert"]["trusted"])
                if name == "expired_ee" and ("MX_CERT_EXPIRED", "info") not in codes:
                    why.append("no MX_CERT_EXPIRED:info (the PKIX verdict)")
                if status in ("ok", "mismatch", "unusable") and not dane["dnssec"]:
                    why.append("dnssec false")
            except (ValueError, KeyError, IndexError, TypeError) as e:
                why.append("unreadable output (%s)" % e)
            if why:
                fails += 1
                print("FAIL %s: %s\n  stdout: %s\n  stderr: %s" %
                      (name, "; ".join(why), r.stdout.strip(), r.stderr.strip()))
            else:
                print("ok   %s" % name)
        # Text output: the address line shows the DANE status.
        r = subprocess.run(
            [args.bin, "--no-policy", "--color", "never", "--timeout", "8",
             "--resolver", "%s:%d" % (UNBOUND, PORT), "--ca-file", pem,
             "good.dane.test"], capture_output=True, text=True)
        if "DANE ok" not in r.stdout:
            fails += 1
            print("FAIL text: no 'DANE ok' in\n%s" % r.stdout)
        else:
            print("ok   text")
    finally:
        stop(procs)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
