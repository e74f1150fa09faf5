#!/usr/bin/env python3
"""`meson install` into a temporary DESTDIR: exactly the binary, its man page
and its bash completion are installed (no test program such as
kcensus-fleet), the installed binary runs, and the completion script offers
the options the binary's --help lists.

Usage: check_install.py BUILD_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile

WANT = ["bin/kcensus", "share/man/man1/kcensus.1",
        "share/bash-completion/completions/kcensus"]


def fail(msg):
    print("install: FAIL: " + msg)
    sys.exit(1)


def build_option(build, name):
    out = subprocess.run(["meson", "introspect", build, "--buildoptions"],
                         check=True, capture_output=True, text=True).stdout
    for o in json.loads(out):
        if o["name"] == name:
            return o["value"]
    fail("no build option " + name)


def installed_files(dest):
    found = []
    for root, _, files in os.walk(dest):
        for f in files:
            found.append(os.path.relpath(os.path.join(root, f), dest))
    return sorted(found)


def complete(script, words):
    """COMPREPLY of the completion function for the words typed so far."""
    prog = ('source "$1"; shift; COMP_WORDS=("$@"); '
            'COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); _kcensus; '
            'printf "%s\\n" "${COMPREPLY[@]}"')
    r = subprocess.run(["bash", "-c", prog, "complete", script] + words,
                       capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        fail("completion of %s: %s" % (words, r.stderr.strip()))
    return set(r.stdout.split())


def check_completion(kcensus, script):
    cmds = complete(script, ["kcensus", ""])
    for c in ("scan", "scans", "sql", "report"):
        if c not in cmds:
            fail("completion offers no command %r: %s" % (c, sorted(cmds)))
    for cmd in ("scan", "scans", "sql"):
        helptext = subprocess.run([kcensus, cmd, "--help"], check=True,
                                  capture_output=True, text=True).stdout
        longs = set(re.findall(r"^ +(?:-\w, )?(--[a-z0-9-]+)", helptext,
                               re.M))
        offered = complete(script, ["kcensus", cmd, "--"])
        if not longs or longs - offered:
            fail("kcensus %s: --help lists %s, completion misses %s"
                 % (cmd, sorted(longs), sorted(longs - offered)))
    only = complete(script, ["kcensus", "scan", "--only", ""])
    if only != {"kubernetes", "responsive", "all"}:
        fail("scan --only completes to %s" % sorted(only))
    fmt = complete(script, ["kcensus", "sql", "--format", ""])
    if fmt != {"table", "csv", "json"}:
        fail("sql --format completes to %s" % sorted(fmt))


def main():
    build = os.path.abspath(sys.argv[1])
    prefix = build_option(build, "prefix").lstrip("/")
    with tempfile.TemporaryDirectory(prefix="kc-install-") as dest:
        r = subprocess.run(["meson", "install", "-C", build, "--no-rebuild",
                            "--destdir", dest], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0:
            fail("meson install: " + r.stdout[-2000:] + r.stderr[-2000:])
        files = installed_files(dest)
        print("installed under DESTDIR:")
        for f in files:
            print("  /" + f)
        want = sorted(os.path.join(prefix, w) for w in WANT)
        if files != want:
            fail("installed %s, want exactly %s" % (files, want))
        kcensus = os.path.join(dest, prefix, "bin", "kcensus")
        r = subprocess.run([kcensus, "--help"], capture_output=True,
                           text=True, timeout=30)
        if r.returncode != 0 or "commands:" not in r.stdout:
            fail("installed kcensus --help: rc %d, %r" % (r.returncode,
                                                          r.stdout[:200]))
        print("installed kcensus --help: ok (%d lines)"
              % len(r.stdout.splitlines()))
        man = open(os.path.join(dest, prefix, WANT[1])).read()
        if not man.startswith(".TH KCENSUS 1"):
            fail("the man page does not start with .TH: %r" % man[:60])
        check_completion(kcensus, os.path.join(dest, prefix, WANT[2]))
        print("completion: commands and every --help option offered")
    print("install: ok")


if __name__ == "__main__":
    main()
