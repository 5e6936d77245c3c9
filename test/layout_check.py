#!/usr/bin/env python3
"""The include graph follows the parts (docs/design.md "Layout").

Reads every #include of src/<part>/ and include/mtasts/ and fails when a
part reaches one it must not: the rules and the core judge and model
without knowing the network or any output; the network layer reports
facts without judging them (no rules) or writing them (no output); the
check knows no output format (it hands results to a sink). It also fails
when a source file is in no part, or in a part CMakeLists.txt does not
build it there.

    layout_check.py [SOURCE_DIR]
    layout_check.py --self-test SOURCE_DIR   (a planted arrow must fail)
"""
import os
import re
import sys

# part -> the parts it may include (besides itself)
ALLOWED = {
    "core": set(),
    "rules": {"core"},
    "net": {"core"},
    "output": {"core"},
    "check": {"core", "rules", "net"},
    "tlsrpt": {"core", "output"},
    "cli": {"core", "rules", "net", "output", "check", "tlsrpt"},
}
# include/mtasts/<name>.h: one entry header per part; the rest is core.
ENTRY = {"net.h": "net", "rules.h": "rules", "check.h": "check",
         "output.h": "output", "tlsrpt.h": "tlsrpt"}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def public_part(name):
    return ENTRY.get(name, "core")


def self_test(root):
    """Plant rules -> net in a copy of the tree: the check must catch it."""
    import shutil
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("src", "include"):
            shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
        shutil.copy(os.path.join(root, "CMakeLists.txt"), tmp)
        with open(os.path.join(tmp, "src", "rules", "txt.c"), "a") as f:
            f.write('\n#include "mtasts/net.h"\n')
        r = subprocess.run([sys.executable, os.path.abspath(__file__), tmp],
                           capture_output=True, text=True)
        if r.returncode == 0 or "rules must not include" not in r.stdout:
            print("self-test: a planted rules -> net include was not caught")
            print(r.stdout)
            return 1
    print("self-test: a planted rules -> net include is caught")
    return 0


def main():
    if len(sys.argv) > 2 and sys.argv[1] == "--self-test":
        return self_test(sys.argv[2])
    root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..")
    errors = []
    files = []  # (path, part, folder)
    for part in sorted(os.listdir(os.path.join(root, "src"))):
        d = os.path.join(root, "src", part)
        if not os.path.isdir(d):
            errors.append(f"src/{part}: a file outside every part's folder")
            continue
        if part not in ALLOWED:
            errors.append(f"src/{part}/: not a known part "
                          f"({', '.join(ALLOWED)}); add it here and in "
                          "docs/design.md")
            continue
        for f in sorted(os.listdir(d)):
            if f.endswith((".c", ".h")):
                files.append((f"src/{part}/{f}", part, d))
    inc = os.path.join(root, "include", "mtasts")
    for f in sorted(os.listdir(inc)):
        if f.endswith(".h"):
            files.append((f"include/mtasts/{f}", public_part(f), inc))

    for rel, part, folder in files:
        text = open(os.path.join(root, rel), encoding="utf-8").read()
        for target in INCLUDE.findall(text):
            if target.startswith("mtasts/"):
                to = public_part(target[len("mtasts/"):])
            elif "/" not in target and os.path.exists(
                    os.path.join(folder, target)) and rel.startswith("src/"):
                to = part  # a private header of its own folder
            else:
                errors.append(f'{rel}: #include "{target}" is neither '
                              "include/mtasts/ nor a header of its own folder")
                continue
            if to != part and to not in ALLOWED[part]:
                errors.append(f'{rel}: {part} must not include "{target}" '
                              f"({to})")

    # CMakeLists.txt builds each source in its own part.
    cmake = open(os.path.join(root, "CMakeLists.txt"), encoding="utf-8").read()
    listed = {}
    for part, names in re.findall(r"set\(MTS_PART_(\w+)\s+([^)]*)\)", cmake):
        for n in names.split():
            listed[f"src/{part}/{n}.c"] = part
    for rel, part, _ in files:
        if rel.endswith(".c") and rel != "src/cli/main.c" and rel not in listed:
            errors.append(f"{rel}: not in MTS_PART_{part} of CMakeLists.txt")

    for e in errors:
        print(e)
    n = sum(1 for r, _, _ in files)
    print(f"layout: {n} files read, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
