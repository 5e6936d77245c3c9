#!/usr/bin/env python3
"""check_case.py: run one integration case of mtasts-check and judge it.

    check_case.py --bin BIN [--cases FILE] [--rundir DIR] CASE...   the named cases
    check_case.py --bin BIN [--cases FILE] [--rundir DIR] --all     every case
    check_case.py [--cases FILE] --list                print the case names

The servers must be running (servers.sh start RUNDIR; ctest does this in its
fixture). Exit status: 0 pass, 1 fail, 77 skipped (ctest SKIP_RETURN_CODE).

Case file (cases.txt): one case per line, five fields separated by " | ":

    NAME | MODE | EXIT | ARGS | ASSERTIONS

NAME   unique, [A-Za-z0-9_.-]+ (the ctest name is integration.NAME)
MODE   json   stdout must be JSON Lines; every object is checked against the
              contract (fields, types, enums, codes, R1 status); "--json"
              is added unless ARGS already choose a format
       text   stdout is free text
EXIT   the expected exit code ("2", or alternatives "1|2")
ARGS   the arguments after the binary, split like a shell (shlex):
         @knot    -> --resolver <knot address>:<port>    (two arguments)
         @fault   -> --resolver <fault address>:<port>
         @servfail, @refused -> --resolver <address>:<fault port> of a
                     faultdns.py answering every query SERVFAIL / REFUSED
                     (MTS_TEST_SERVFAIL_ADDR, MTS_TEST_REFUSED_ADDR)
         @knot6   -> --resolver [<knot IPv6 address>]:<port>; the case is
                     skipped when no IPv6 address is configured
         @ca      -> --ca-file <the test CA of the HTTPS servers>: RUNDIR/tls/
                     ca.pem (servers.sh, tlsca.sh); the case is skipped when
                     that file does not exist (HTTPS servers not started).
                     The CA file is MTS_TEST_CA_FILE if set, else
                     RUNDIR/tls/ca.pem with RUNDIR from --rundir, else
                     MTS_TEST_RUNDIR, else <dir of --bin>/test/integration/run
                     (the ctest fixture's run directory)
         @https   -> nothing, but the case is skipped like an @ca case when
                     the HTTPS servers are not running (for cases that
                     deliberately omit --ca-file)
         {knot} {fault} {servfail} {refused} {srcdir} {ca}  -> that text
         {https}  -> the first three octets of the HTTPS servers' addresses
                     (MTS_TEST_HTTPS_PREFIX, default 127.53.2)
         <PATH    -> stdin comes from PATH (else /dev/null)
         %NAME=VALUE -> not an argument: NAME=VALUE is set in the program's
                     environment (e.g. %OPENSSL_CONF={srcdir}/fixtures/...)
ASSERTIONS  split like a shell, with the {...} texts of ARGS replaced; each
            one is
  elapsed<N          the run took less than N seconds (wall clock)
  lines=N            MODE json: N JSON objects; text: N non-empty lines
  stdout=  stderr=   the stream is empty
  stdout~S  stdout!~S  stderr~S  stderr!~S
                     the stream contains / does not contain S; S may use
                     Python escapes (\\x1b) and "A|B" alternatives
  stderr_lines=N  stdout_lines=N
  [#K:]PATH OP VALUE a JSON assertion on object K (1-based, default 1):
     PATH            dotted keys with [N] indexes and [*] (map over a list):
                     mta_sts.mx.hosts[*].name
     OP  =  VALUE    equal; VALUE is JSON (null, 300, ["a","b"]) or, when
                     the actual value is a string, the bare text
         != VALUE    not equal
         ~  VALUE    contains: a list holds the element (for "findings", a
                     finding with that code, "CODE:severity" also checks the
                     severity); a string holds the substring; "A|B" = either
         !~ VALUE    does not contain
         ~= VALUE    the same elements in any order (VALUE is a JSON list)
         #= N        the list or string has length N
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.path.abspath(os.path.join(HERE, "..", ".."))
SKIP = 77

LOOKUP_FAILURES = {"DNS_SERVFAIL", "DNS_TIMEOUT", "DNS_TRUNCATED",
                   "DNS_RESPONSE_INVALID", "MX_LOOKUP_FAILED"}
# Error findings that make the status unknown, not error (R1,
# mts_code_is_lookup_failure): the lookup failures and a certificate that
# could not be judged.
UNKNOWN_CLASS = LOOKUP_FAILURES | {"POLICY_CERT_UNKNOWN"}
# Codes whose severity depends on the context (docs/findings.md).
RECORD_STATUSES = {"valid", "invalid", "missing", "unknown"}
ADDR_OUTCOMES = {"ok", "connect-failed", "tls-failed", "cert-untrusted",
                 "cert-expired", "cert-name-mismatch", "timeout", "too-large",
                 "failed", "no-route"}
POLICY_STATUSES = {"valid", "invalid", "unreachable", "not-checked"}
STATUSES = {"ok", "warning", "error", "unknown"}
SMTP_STATUSES = {"ok", "failed", "unreachable", "not-checked"}
# Codes whose severity comes from the context (policy mode, other hosts):
# rfc-rules R115, mx-transport.md R163, R167, R168, rollout.md R202.
CONTEXT_SEVERITY = {"MX_NOT_COVERED", "POLICY_ADDRESSES_DIFFER",
                    "MX_TARGET_UNRESOLVABLE",
                    "MX_STARTTLS_MISSING", "MX_STARTTLS_FAILED",
                    "MX_TLS_OLD_VERSION", "MX_CERT_UNTRUSTED",
                    "MX_CERT_EXPIRED", "MX_CERT_NAME_MISMATCH",
                    "MX_SMTP_UNREACHABLE", "POLICY_OLD_CACHE_BREAKS_MX"}
SEVERITIES = {"error", "warning", "info"}
EXIT_OF = {"ok": 0, "warning": 1, "unknown": 3, "error": 2}
RANK = {"ok": 0, "warning": 1, "unknown": 2, "error": 3}
MISSING = object()


def case_env(case):
    """The program's environment: English text whatever the caller's locale
    (LC_ALL=C.UTF-8, no LANGUAGE), unless the case sets its own with
    %LC_ALL=ja_JP.UTF-8 and the like (issue 15)."""
    e = {k: v for k, v in os.environ.items()
         if k != "LANGUAGE" and not k.startswith("LC_")}
    e["LC_ALL"] = "C.UTF-8"
    e.update(case.env)
    return e


def env(name, default):
    v = os.environ.get(name)
    return default if v is None else v


CA_FILE = None  # set by main() (--rundir, environment, or beside --bin)
CASES_NAME = "cases.txt"  # the case file's name, for messages (set by main())


def ca_file(binary=None, rundir=None):
    """The test CA for @ca / {ca} (see the module doc)."""
    v = os.environ.get("MTS_TEST_CA_FILE")
    if v:
        return v
    rundir = rundir or os.environ.get("MTS_TEST_RUNDIR")
    if not rundir and binary:
        rundir = os.path.join(os.path.dirname(os.path.abspath(binary)),
                              "test", "integration", "run")
    return os.path.join(rundir, "tls", "ca.pem") if rundir else ""


def servers():
    knot = env("MTS_TEST_DNS_ADDR", "127.53.0.1")
    kport = env("MTS_TEST_DNS_PORT", "5300")
    knot6 = env("MTS_TEST_DNS_ADDR6", "::1")
    fault = env("MTS_TEST_FAULT_ADDR", "127.53.0.2")
    fport = env("MTS_TEST_FAULT_PORT", "5300")
    return {
        "servfail": "%s:%s" % (env("MTS_TEST_SERVFAIL_ADDR", "127.53.0.5"), fport),
        "refused": "%s:%s" % (env("MTS_TEST_REFUSED_ADDR", "127.53.0.6"), fport),
        "knot": "%s:%s" % (knot, kport),
        "knot6": ("[%s]:%s" % (knot6, kport)) if knot6 else "",
        "fault": "%s:%s" % (fault, fport),
        "ca": CA_FILE or "",
        "https": env("MTS_TEST_HTTPS_PREFIX", "127.53.2"),
    }


def load_codes(path):
    """NAME -> severity from include/mtasts/codes.def."""
    codes = {}
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        return None
    for m in re.finditer(r"MTS_CODE\(\s*([A-Z0-9_]+)\s*,\s*([A-Z]+)\s*,", text):
        codes[m.group(1)] = m.group(2).lower()
    return codes


# ---------------------------------------------------------------------------
# Case file

class Case:
    def __init__(self, name, mode, exits, args, asserts, lineno):
        self.name, self.mode, self.exits = name, mode, exits
        self.args, self.asserts, self.lineno = args, asserts, lineno
        self.env = {}  # %NAME=VALUE arguments (expand_args)


def parse_cases(path):
    cases, seen = [], set()
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            parts = [p.strip() for p in s.split(" | ")]
            if len(parts) != 5:
                raise SystemExit("%s:%d: expected 5 fields separated by ' | ', got %d"
                                 % (path, lineno, len(parts)))
            name, mode, exits, args, asserts = parts
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", name) or name in seen:
                raise SystemExit("%s:%d: bad or duplicate case name %r" % (path, lineno, name))
            if mode not in ("json", "text"):
                raise SystemExit("%s:%d: mode must be json or text" % (path, lineno))
            seen.add(name)
            try:
                exit_set = {int(x) for x in exits.split("|")}
                cases.append(Case(name, mode, exit_set, shlex.split(args),
                                  shlex.split(asserts), lineno))
            except ValueError as e:
                raise SystemExit("%s:%d: %s" % (path, lineno, e))
    return cases


# ---------------------------------------------------------------------------
# JSON paths and assertions

def get_path(obj, path):
    """Follow PATH; [*] maps the rest over a list. MISSING if absent."""
    tokens = re.findall(r"[^.\[\]]+|\[\*\]|\[\d+\]", path)
    return _get(obj, tokens)


def _get(obj, tokens):
    if not tokens:
        return obj
    t, rest = tokens[0], tokens[1:]
    if t == "[*]":
        if not isinstance(obj, list):
            return MISSING
        return [_get(x, rest) for x in obj]
    if t.startswith("["):
        i = int(t[1:-1])
        if not isinstance(obj, list) or i >= len(obj):
            return MISSING
        return _get(obj[i], rest)
    if not isinstance(obj, dict) or t not in obj:
        return MISSING
    return _get(obj[t], rest)


def expected_value(text, actual):
    if isinstance(actual, str):
        if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
            try:
                return json.loads(text)
            except ValueError:
                pass
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def contains(actual, want):
    """Does ACTUAL contain WANT ("A|B": either)?"""
    for alt in want.split("|"):
        if isinstance(actual, str):
            if alt in actual:
                return True
        elif isinstance(actual, list):
            for el in actual:
                if isinstance(el, dict) and "code" in el:
                    code, _, sev = alt.partition(":")
                    if el.get("code") == code and (not sev or el.get("severity") == sev):
                        return True
                elif el == expected_value(alt, el):
                    return True
    return False


def show(v):
    if v is MISSING:
        return "(missing)"
    if isinstance(v, list) and v and all(isinstance(x, dict) and "code" in x for x in v):
        return "[" + ", ".join("%s:%s" % (x.get("code"), x.get("severity")) for x in v) + "]"
    return json.dumps(v, ensure_ascii=False)


JSON_ASSERT = re.compile(r"^(?:#(\d+):)?([A-Za-z0-9_.\[\]*]+?)(!~|~=|!=|#=|=|~)(.*)$", re.S)


def check_json_assertion(a, objs, errors):
    m = JSON_ASSERT.match(a)
    if not m:
        errors.append("bad assertion %r" % a)
        return
    idx, path, op, val = m.groups()
    k = int(idx or 1)
    if k > len(objs):
        errors.append("%s: there is no JSON object #%d (got %d)" % (a, k, len(objs)))
        return
    actual = get_path(objs[k - 1], path)
    where = ("#%d:" % k if len(objs) > 1 or idx else "") + path
    if actual is MISSING and op not in ("!~",):
        errors.append("%s: expected %s %s, but %s is missing" % (a, op, val, where))
        return
    if op == "=":
        exp = expected_value(val, actual)
        if actual != exp:
            errors.append("%s\n      expected: %s\n      actual:   %s" % (where, show(exp), show(actual)))
    elif op == "!=":
        exp = expected_value(val, actual)
        if actual == exp:
            errors.append("%s: expected anything but %s" % (where, show(exp)))
    elif op == "~":
        if not contains(actual, val):
            errors.append("%s: expected to contain %s\n      actual: %s" % (where, val, show(actual)))
    elif op == "!~":
        if actual is not MISSING and contains(actual, val):
            errors.append("%s: expected NOT to contain %s\n      actual: %s" % (where, val, show(actual)))
    elif op == "~=":
        exp = json.loads(val)
        key = lambda x: json.dumps(x, sort_keys=True)
        if not isinstance(actual, list) or sorted(map(key, actual)) != sorted(map(key, exp)):
            errors.append("%s (any order)\n      expected: %s\n      actual:   %s" % (where, show(exp), show(actual)))
    elif op == "#=":
        if not isinstance(actual, (list, str)) or len(actual) != int(val):
            errors.append("%s: expected length %s, actual %s" % (where, val, show(actual)))


# ---------------------------------------------------------------------------
# The contract, checked on every JSON object

def check_contract(obj, codes, timeout_s, errors):
    e = []

    def need(path, types, nullable=False, enum=None):
        v = get_path(obj, path)
        if v is MISSING:
            e.append("contract: field %s is missing" % path)
            return MISSING
        if v is None:
            if not nullable:
                e.append("contract: %s is null" % path)
            return None
        if not isinstance(v, types) or (isinstance(v, bool) and bool not in _tuple(types)):
            e.append("contract: %s has the wrong type: %s" % (path, show(v)))
            return MISSING
        if enum is not None and v not in enum:
            e.append("contract: %s = %s is not one of %s" % (path, show(v), sorted(enum)))
        return v

    if not isinstance(obj, dict):
        errors.append("contract: a JSON line is not an object")
        return
    findings = obj.get("findings")
    fcodes = set()
    if isinstance(findings, list):
        fcodes = {f.get("code") for f in findings if isinstance(f, dict)}
    domain_invalid = "DOMAIN_INVALID" in fcodes

    sv = need("schema_version", int)
    if sv is not MISSING and sv != 1:
        e.append("contract: schema_version is %s, not 1" % show(sv))
    dom = need("domain", str)
    need("domain_unicode", str, nullable=True)
    ca = need("checked_at", str)
    if isinstance(ca, str) and not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", ca):
        e.append("contract: checked_at %r is not YYYY-MM-DDTHH:MM:SSZ" % ca)
    dur = need("duration_ms", int)
    if isinstance(dur, int) and dur < 0:
        e.append("contract: duration_ms is negative")
    if isinstance(dur, int) and timeout_s is not None and dur > timeout_s * 1000 + 1000:
        e.append("contract: duration_ms %d exceeds --timeout %gs" % (dur, timeout_s))
    status = need("status", str, enum=STATUSES)
    if isinstance(dom, str) and not domain_invalid:
        if dom != dom.lower() or dom.endswith(".") or not dom:
            e.append("contract: domain %r is not lowercase without a trailing dot" % dom)

    sts_status = need("mta_sts.record.status", str, enum=RECORD_STATUSES)
    name = need("mta_sts.record.name", str, nullable=domain_invalid)
    if isinstance(name, str) and isinstance(dom, str) and not domain_invalid \
            and name != "_mta-sts." + dom:
        e.append("contract: mta_sts.record.name %r is not _mta-sts.<domain>" % name)
    # txt is null only when it is not known: the lookup failed (unknown).
    txt = need("mta_sts.record.txt", list, nullable=sts_status == "unknown")
    if isinstance(txt, list) and not all(isinstance(t, str) for t in txt):
        e.append("contract: mta_sts.record.txt holds a non-string")
    sid = need("mta_sts.record.id", str, nullable=True)
    need("mta_sts.record.ttl", int, nullable=True)
    if sts_status == "valid":
        if not txt:
            e.append("contract: mta_sts.record is valid but txt is empty")
        if not isinstance(sid, str) or not re.fullmatch(r"[A-Za-z0-9]{1,32}", sid):
            e.append("contract: mta_sts.record is valid but id is %s" % show(sid))
        if get_path(obj, "mta_sts.record.ttl") is None:
            e.append("contract: mta_sts.record is valid but ttl is null")

    pst = need("mta_sts.policy.status", str, enum=POLICY_STATUSES)
    need("mta_sts.policy.url", str, nullable=True)
    need("mta_sts.policy.http_status", int, nullable=True)
    need("mta_sts.policy.content_type", str, nullable=True)
    need("mta_sts.policy.mode", str, nullable=True)
    need("mta_sts.policy.max_age", int, nullable=True)
    need("mta_sts.policy.mx", list, nullable=True)
    # docs/json.md: one entry per address fetched from, at most one selected.
    addrs = need("mta_sts.policy.addresses", list)
    if isinstance(addrs, list):
        n_sel = 0
        for i in range(len(addrs)):
            p = "mta_sts.policy.addresses[%d]" % i
            need(p + ".address", str)
            n_sel += need(p + ".selected", bool) is True
            need(p + ".outcome", str, enum=ADDR_OUTCOMES)
            need(p + ".status", str, enum=POLICY_STATUSES)
            need(p + ".http_status", int, nullable=True)
            need(p + ".content_type", str, nullable=True)
            need(p + ".cert_not_after", str, nullable=True)
            need(p + ".cert_checked", bool)
            need(p + ".same_policy", bool, nullable=True)
        if n_sel > 1:
            e.append("contract: %d addresses are selected" % n_sel)
    cov = need("mta_sts.mx.covered", bool, nullable=True)
    if pst is not MISSING and pst != "valid" and cov not in (None, MISSING):
        e.append("contract: mta_sts.mx.covered is %s without a valid policy (R5)" % show(cov))
    # hosts is null only when not known: the MX lookup failed or never ran.
    hosts = need("mta_sts.mx.hosts", list, nullable=bool(
        fcodes & (LOOKUP_FAILURES | {"DOMAIN_INVALID", "DNS_CNAME_LOOP"})))
    if isinstance(hosts, list):
        for i, h in enumerate(hosts):
            p = "mta_sts.mx.hosts[%d]" % i
            hn = need(p + ".name", str)
            if isinstance(hn, str) and (hn != hn.lower() or hn.endswith(".")):
                e.append("contract: %s.name %r is not lowercase without a trailing dot" % (p, hn))
            pref = need(p + ".preference", int)
            if isinstance(pref, int) and not 0 <= pref <= 65535:
                e.append("contract: %s.preference out of range" % p)
            need(p + ".covered", bool, nullable=True)
            need(p + ".matched_by", str, nullable=True)
            # MX transport (issue 12, mx-transport.md "JSON")
            need(p + ".cname", str, nullable=True)
            need(p + ".dane", dict, nullable=True)
            addrs = need(p + ".addresses", list, nullable=True)
            for j, a in enumerate(addrs if isinstance(addrs, list) else []):
                q = "%s.addresses[%d]" % (p, j)
                need(q + ".ip", str)
                smtp = need(q + ".smtp", dict, nullable=True)
                if isinstance(smtp, dict):
                    need(q + ".smtp.status", str, enum=SMTP_STATUSES)
                    need(q + ".smtp.banner", str, nullable=True)
                    need(q + ".smtp.starttls", bool, nullable=True)
                    need(q + ".smtp.tls_version", str, nullable=True)
                    need(q + ".smtp.cipher", str, nullable=True)
                    cert = need(q + ".smtp.cert", dict, nullable=True)
                    if isinstance(cert, dict):
                        for k in ("subject", "issuer", "not_after"):
                            need(q + ".smtp.cert." + k, str, nullable=True)
                        need(q + ".smtp.cert.san", list)
                        need(q + ".smtp.cert.days_left", int, nullable=True)
                        need(q + ".smtp.cert.trusted", bool, nullable=True)
                        need(q + ".smtp.cert.name_match", bool, nullable=True)
                    need(q + ".smtp.error", str, nullable=True)
    need("mta_sts.mx.tls_ok", bool, nullable=True)

    rst = need("tls_rpt.record.status", str, enum=RECORD_STATUSES)
    rname = need("tls_rpt.record.name", str, nullable=domain_invalid)
    if isinstance(rname, str) and isinstance(dom, str) and not domain_invalid \
            and rname != "_smtp._tls." + dom:
        e.append("contract: tls_rpt.record.name %r is not _smtp._tls.<domain>" % rname)
    rtxt = need("tls_rpt.record.txt", list, nullable=rst == "unknown")
    if isinstance(rtxt, list) and not all(isinstance(t, str) for t in rtxt):
        e.append("contract: tls_rpt.record.txt holds a non-string")
    rua = need("tls_rpt.record.rua", list, nullable=True)
    need("tls_rpt.record.ttl", int, nullable=True)
    if rst == "valid":
        if not rtxt:
            e.append("contract: tls_rpt.record is valid but txt is empty")
        if not rua:
            e.append("contract: tls_rpt.record is valid but rua is empty")
        if get_path(obj, "tls_rpt.record.ttl") is None:
            e.append("contract: tls_rpt.record is valid but ttl is null")

    # --state (docs/state.md): null without it, else a list of changes.
    chg = need("changes", list, nullable=True)
    if isinstance(chg, list):
        for i, c in enumerate(chg):
            p = "changes[%d]" % i
            need(p + ".field", str)
            need(p + ".old_first_seen", str, nullable=True)
            need(p + ".old_last_seen", str, nullable=True)
            if not isinstance(c, dict) or "old" not in c or "new" not in c:
                e.append("contract: %s lacks old or new" % p)

    fl = need("findings", list)
    worst = "ok"
    if isinstance(fl, list):
        any_err = any_fail = any_warn = False
        for i, f in enumerate(fl):
            p = "findings[%d]" % i
            code = need(p + ".code", str)
            sev = need(p + ".severity", str, enum=SEVERITIES)
            msg = need(p + ".message", str)
            if isinstance(msg, str) and not msg.strip():
                e.append("contract: %s.message is empty" % p)
            need(p + ".subject", str, nullable=True)
            need(p + ".rfc", str, nullable=True)
            if isinstance(code, str) and codes is not None:
                if code not in codes:
                    e.append("contract: %s.code %s is not in codes.def" % (p, code))
                elif code not in CONTEXT_SEVERITY and isinstance(sev, str) \
                        and sev != codes[code]:
                    e.append("contract: %s %s has severity %s, codes.def says %s"
                             % (p, code, sev, codes[code]))
            if sev == "error":
                if code in UNKNOWN_CLASS:
                    any_fail = True
                else:
                    any_err = True
            elif sev == "warning":
                any_warn = True
        worst = ("error" if any_err else "unknown" if any_fail
                 else "warning" if any_warn else "ok")
        if isinstance(status, str) and status in STATUSES and status != worst:
            e.append("contract (R1): status is %r but the findings give %r" % (status, worst))
    for x in e:
        errors.append(x)


def _tuple(t):
    return t if isinstance(t, tuple) else (t,)


# ---------------------------------------------------------------------------
# Running a case

def subst(a, srv):
    """{knot} {fault} {servfail} {refused} {srcdir} {ca} {https} -> their text."""
    for k in ("knot", "fault", "servfail", "refused", "ca", "https"):
        a = a.replace("{%s}" % k, srv[k])
    return a.replace("{srcdir}", SRCDIR)


def expand_args(case, srv):
    args, stdin = [], None
    for a in case.args:
        if a in ("@knot", "@fault", "@knot6", "@servfail", "@refused"):
            addr = srv[a[1:]]
            if not addr:
                return None, None
            args += ["--resolver", addr]
            continue
        if a in ("@ca", "@https") or "{ca}" in a:
            if not srv["ca"] or not os.path.isfile(srv["ca"]):
                return None, "no test CA %s (HTTPS servers not started: servers.sh, "\
                    "nginx-light, openssl)" % (srv["ca"] or "(no run directory)")
            if a == "@ca":
                args += ["--ca-file", srv["ca"]]
                continue
            if a == "@https":
                continue
        a = subst(a, srv)
        if a.startswith("<") and len(a) > 1:
            stdin = a[1:]
            continue
        m = re.fullmatch(r"%([A-Za-z_][A-Za-z0-9_]*)=(.*)", a, re.S)
        if m:
            case.env[m.group(1)] = m.group(2)
            continue
        args.append(a)
    if case.mode == "json" and not any(
            x in ("--json", "-j") or x.startswith("--format") for x in args):
        args = ["--json"] + args
    return args, stdin


def timeout_of(args):
    for i, a in enumerate(args):
        v = None
        if a in ("--timeout", "-t") and i + 1 < len(args):
            v = args[i + 1]
        elif a.startswith("--timeout="):
            v = a.split("=", 1)[1]
        if v is not None:
            try:
                return float(v)
            except ValueError:
                return None
    return None


def unescape(s):
    try:
        return s.encode("utf-8").decode("unicode_escape").encode("latin-1").decode("utf-8")
    except (UnicodeDecodeError, UnicodeEncodeError):
        return s


def run_case(case, binary, codes, verbose=False):
    srv = servers()
    args, stdin_path = expand_args(case, srv)
    if args is None:
        print("SKIP %s: %s" % (case.name, stdin_path or
                               "no IPv6 address configured (MTS_TEST_DNS_ADDR6)"))
        return SKIP
    cmd = [binary] + args
    asserts = [subst(a, srv) for a in case.asserts]
    bound = 60.0
    for a in asserts:
        m = re.fullmatch(r"elapsed<([\d.]+)", a)
        if m:
            bound = float(m.group(1)) + 5
    stdin = open(stdin_path, "rb") if stdin_path else subprocess.DEVNULL
    t0 = time.monotonic()
    hung = False
    try:
        p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=bound,
                           env=case_env(case))
        rc, out, err = p.returncode, p.stdout, p.stderr
    except subprocess.TimeoutExpired as x:
        hung = True
        rc, out, err = None, x.stdout or b"", x.stderr or b""
    finally:
        if stdin_path:
            stdin.close()
    elapsed = time.monotonic() - t0
    out_s = out.decode("utf-8", "replace")
    err_s = err.decode("utf-8", "replace")

    errors = []
    if hung:
        errors.append("HANG: killed after %.0f s" % bound)
    elif rc < 0:
        errors.append("crashed: killed by signal %d" % -rc)
    elif rc not in case.exits:
        errors.append("exit code\n      expected: %s\n      actual:   %d"
                      % (" or ".join(map(str, sorted(case.exits))), rc))

    objs = []
    if case.mode == "json" and not hung:
        for n, line in enumerate(out.split(b"\n"), 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line.decode("utf-8"))
            except (ValueError, UnicodeDecodeError) as x:
                errors.append("stdout line %d is not valid JSON (%s): %r" % (n, x, line[:200]))
                continue
            objs.append(obj)
            before = len(errors)
            check_contract(obj, codes, timeout_of(args), errors)
            if len(errors) > before and len(objs) > 1:
                errors[before:] = ["#%d: %s" % (len(objs), x) for x in errors[before:]]
        if rc in (0, 1, 2, 3) and objs and all(isinstance(o, dict) for o in objs):
            sts = [o.get("status") for o in objs if o.get("status") in STATUSES]
            if len(sts) == len(objs):
                worst = max(sts, key=lambda s: RANK[s])
                if EXIT_OF[worst] != rc:
                    errors.append("contract: exit code %d does not match the worst status %r (exit %d)"
                                  % (rc, worst, EXIT_OF[worst]))

    for a in asserts:
        m = re.fullmatch(r"elapsed<([\d.]+)", a)
        if m:
            if elapsed >= float(m.group(1)):
                errors.append("too slow: took %.2f s, bound %s s" % (elapsed, m.group(1)))
            continue
        m = re.fullmatch(r"(stdout|stderr)(=|~|!~|_lines=)(.*)", a, re.S)
        if m:
            stream, op, val = m.groups()
            text = out_s if stream == "stdout" else err_s
            if op == "=":
                if val:
                    errors.append("bad assertion %r (only '%s=' for empty)" % (a, stream))
                elif text:
                    errors.append("%s should be empty, got %r" % (stream, text[:300]))
            elif op == "_lines=":
                n = len([x for x in text.split("\n") if x.strip()])
                if n != int(val):
                    errors.append("%s: expected %s non-empty line(s), got %d" % (stream, val, n))
            else:
                alts = [unescape(x) for x in val.split("|")]
                found = any(x in text for x in alts)
                if op == "~" and not found:
                    errors.append("%s does not contain %r" % (stream, val))
                if op == "!~" and found:
                    errors.append("%s contains %r" % (stream, val))
            continue
        m = re.fullmatch(r"lines=(\d+)", a)
        if m:
            n = len(objs) if case.mode == "json" else \
                len([x for x in out_s.split("\n") if x.strip()])
            if n != int(m.group(1)):
                errors.append("expected %s output line(s)/object(s), got %d" % (m.group(1), n))
            continue
        if case.mode != "json":
            errors.append("JSON assertion %r in a text case" % a)
            continue
        if not objs:
            errors.append("%s: no JSON output to check" % a)
            continue
        check_json_assertion(a, objs, errors)

    if not errors:
        print("PASS %s (%.2f s)" % (case.name, elapsed))
        if verbose:
            print("  $ " + " ".join(shlex.quote(c) for c in cmd))
        return 0
    print("FAIL %s (%s line %d, %.2f s)" % (case.name, CASES_NAME, case.lineno, elapsed))
    print("  $ " + " ".join(shlex.quote(c) for c in cmd)
          + (" < " + stdin_path if stdin_path else ""))
    print("  exit code: %s" % ("(hung)" if hung else rc))
    for x in errors:
        print("  - " + x)
    if case.mode == "json" and objs:
        print("  stdout (JSON, pretty):")
        for o in objs:
            for line in json.dumps(o, indent=2, ensure_ascii=False).split("\n"):
                print("    " + line)
    else:
        print("  stdout:")
        for line in out_s[:4000].split("\n"):
            print("    " + line)
    if err_s:
        print("  stderr:")
        for line in err_s[:2000].split("\n"):
            print("    " + line)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", help="the mtasts-check binary")
    ap.add_argument("--cases", default=os.path.join(HERE, "cases.txt"))
    ap.add_argument("--codes", default=os.path.join(SRCDIR, "include", "mtasts", "codes.def"))
    ap.add_argument("--all", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("--rundir", help="the servers.sh run directory (for @ca)")
    ap.add_argument("-v", "--verbose", action="store_true")
    ap.add_argument("names", nargs="*")
    a = ap.parse_args()
    cases = parse_cases(a.cases)
    if a.list:
        for c in cases:
            print(c.name)
        return 0
    if not a.bin:
        ap.error("--bin is required")
    global CA_FILE, CASES_NAME
    CA_FILE = ca_file(a.bin, a.rundir)
    CASES_NAME = os.path.basename(a.cases)
    if not os.access(a.bin, os.X_OK):
        print("FAIL: %s is not an executable" % a.bin)
        return 1
    codes = load_codes(a.codes)
    if codes is None:
        print("warning: %s not readable: finding codes are not checked" % a.codes)
    by_name = {c.name: c for c in cases}
    if a.all:
        todo = cases
    else:
        unknown = [n for n in a.names if n not in by_name]
        if unknown or not a.names:
            ap.error("unknown or no case names: %s" % " ".join(unknown))
        todo = [by_name[n] for n in a.names]
    results = [run_case(c, a.bin, codes, a.verbose) for c in todo]
    if len(todo) > 1:
        fails = [c.name for c, r in zip(todo, results) if r == 1]
        print("%d cases: %d passed, %d failed, %d skipped"
              % (len(todo), results.count(0), len(fails), results.count(SKIP)))
        if fails:
            print("failed: " + " ".join(fails))
    if any(r == 1 for r in results):
        return 1
    if results and all(r == SKIP for r in results):
        return SKIP
    return 0


if __name__ == "__main__":
    sys.exit(main())
