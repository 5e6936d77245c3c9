#!/usr/bin/env python3
"""The shell completions against the program's own --help.

Every option --help lists (for the command and for each sub-command) must
be completed, by bash (run for real, through bash-completion) and by zsh
(the _arguments specs, and the script must parse); the words of an option
such as --format must be offered after it, files where a FILE is expected,
and the sub-commands as the first word.

    completion_test.py --bin mtasts-check --dir BUILD/completions
    completion_test.py --bin /usr/bin/mtasts-check --bash FILE --zsh FILE
Exit 77 (skipped) when bash-completion or zsh is not installed.
"""
import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
SKIP = 77


def help_options(binary, *sub):
    """Long and short options of --help: {"--format": "text json", ...}
    maps each option to its help line."""
    out = subprocess.run([binary, *sub, "--help"], capture_output=True,
                         text=True, check=True).stdout
    opts = {}
    for line in out.splitlines():
        m = re.match(r"\s+(?:(-\w), )?(--[a-z0-9-]+)", line)
        if m:
            opts[m.group(2)] = line
            if m.group(1):
                opts[m.group(1)] = line
    if not opts:
        sys.exit(f"no option found in {binary} {' '.join(sub)} --help")
    return opts


def bash_complete(script, words, cwd):
    """COMPREPLY for the command line `words` (the last one being
    completed), as bash with bash-completion computes it."""
    line = " ".join(words)
    prog = f"""
source {shlex.quote(BASH_COMPLETION)}
source {shlex.quote(script)}
COMP_WORDS=({' '.join(shlex.quote(w) for w in words)})
COMP_CWORD={len(words) - 1}
COMP_LINE={shlex.quote(line)}
COMP_POINT={len(line)}
_mtasts_check mtasts-check {shlex.quote(words[-1])} {shlex.quote(words[-2])}
printf '%s\\n' "${{COMPREPLY[@]}}"
"""
    r = subprocess.run(["bash", "--norc", "--noprofile", "-c", prog],
                       capture_output=True, text=True, cwd=cwd)
    if r.returncode != 0:
        sys.exit(f"bash failed on {words}: {r.stderr}")
    return [w for w in r.stdout.split("\n") if w]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--dir", help="the build's completions/ directory")
    ap.add_argument("--bash", help="the bash completion (else DIR/...)")
    ap.add_argument("--zsh", help="the zsh completion (else DIR/...)")
    a = ap.parse_args()
    # Absolute: bash runs in a temporary directory.
    bash_script = os.path.abspath(a.bash or os.path.join(a.dir,
                                                         "mtasts-check"))
    zsh_script = os.path.abspath(a.zsh or os.path.join(a.dir,
                                                       "_mtasts-check"))
    if not os.path.exists(BASH_COMPLETION) or not shutil.which("zsh"):
        print("skipped: needs bash-completion and zsh")
        return SKIP

    errors = []
    commands = {(): help_options(a.bin),
                ("report",): help_options(a.bin, "report"),
                ("plan",): help_options(a.bin, "plan")}
    zsh_text = open(zsh_script, encoding="utf-8").read()
    r = subprocess.run(["zsh", "-n", zsh_script], capture_output=True,
                       text=True)
    if r.returncode != 0:
        errors.append(f"zsh -n {zsh_script}: {r.stderr.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        open(os.path.join(tmp, "domains.txt"), "w").close()
        os.mkdir(os.path.join(tmp, "maildir"))
        for sub, opts in commands.items():
            base = ["mtasts-check", *sub]
            offered = bash_complete(bash_script, base + ["-"], tmp)
            zsh_branch = (zsh_text.split(f"{sub[0]} ]]; then")[1].split(
                "\nel")[0] if sub else zsh_text.split("\nelse\n")[1])
            for opt, line in opts.items():
                if opt not in offered:
                    errors.append(f"bash: {' '.join(base)} {opt} of --help "
                                  "is not completed")
                spec = (f"--{opt[2:]}" if opt.startswith("--")
                        else f"-{opt[1]}")
                if not re.search(rf"[{{'*,]{re.escape(spec)}[=+\[,}}]",
                                 zsh_branch):
                    errors.append(f"zsh: {' '.join(base)} {opt} of --help "
                                  "is not completed")
            # Every offered option is one of --help's (no stale one).
            for opt in offered:
                if opt not in opts:
                    errors.append(f"bash: {' '.join(base)} offers {opt}, "
                                  "which --help does not list")
            # Option words: offered after the option, and named by --help.
            for opt in ("--format", "--color"):
                words = bash_complete(bash_script, base + [opt, ""], tmp)
                if not words:
                    errors.append(f"bash: nothing after {opt}")
                for w in words:
                    if w not in opts[opt]:
                        errors.append(f"bash: {opt} {w} is not in its "
                                      f"--help line: {opts[opt].strip()}")
                joined = bash_complete(bash_script, base + [f"{opt}=j"]
                                       if opt == "--format" else
                                       base + [f"{opt}=al"], tmp)
                if joined not in (["json"], ["always"]):
                    errors.append(f"bash: {opt}=... completes to {joined}")
        want = {"--format": ["json", "prometheus", "text"]}
        got = sorted(bash_complete(bash_script,
                                   ["mtasts-check", "--format", ""], tmp))
        if got != want["--format"]:
            errors.append(f"bash: --format offers {got}")
        # Files where a FILE is expected, and as report's operands.
        for words in (["mtasts-check", "-f", "dom"],
                      ["mtasts-check", "--state", "dom"],
                      ["mtasts-check", "report", "mail"],
                      ["mtasts-check", "plan", "--policy-out", "dom"]):
            got = bash_complete(bash_script, words, tmp)
            if not any(g.startswith(("domains.txt", "maildir")) for g in got):
                errors.append(f"bash: {' '.join(words)} completes to {got}, "
                              "not the file")
        # Nothing to offer for a free argument (a number).
        got = bash_complete(bash_script, ["mtasts-check", "--timeout", ""],
                            tmp)
        if got:
            errors.append(f"bash: --timeout offers {got}")
        # The sub-command as the first word, not later.
        for word, sub in (("rep", "report"), ("pl", "plan")):
            if bash_complete(bash_script, ["mtasts-check", word], tmp) != [
                    sub]:
                errors.append(f"bash: 'mtasts-check {word}' does not "
                              f"complete to {sub}")
        if bash_complete(bash_script, ["mtasts-check", "a.example", "rep"],
                         tmp):
            errors.append("bash: report offered after a domain")

    for e in errors:
        print(e)
    print(f"completion: {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
