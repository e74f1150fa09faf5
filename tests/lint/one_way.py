#!/usr/bin/env python3
"""One way to do each thing: checks that a job has one implementation.

Usage: one_way.py CHECK SOURCE_ROOT. Prints what it found and exits 1 when
the check fails, 0 when it passes, 2 on a usage error. CHECK is one of the
names in CHECKS below; each is its own test in tests/lint/meson.build.
"""
import pathlib
import re
import sys

# Shipped code: what `kcensus` is built from (tests and benches are not).
SHIPPED = ["common", "cli", "targets", "scanner", "storage", "report",
           "classify", "geo"]


def sources(root, places, exts=(".c", ".h")):
    """The files with these suffixes under each place (a folder or a file)."""
    for d in places:
        base = root / d
        if base.is_file():
            yield base
        elif base.is_dir():
            for p in sorted(base.rglob("*")):
                if p.suffix in exts and p.is_file():
                    yield p


def grep(root, folders, pattern, exts=(".c", ".h")):
    """(path, line number, line) of every match."""
    rx = re.compile(pattern)
    for p in sources(root, folders, exts):
        for n, line in enumerate(p.read_text(errors="replace").splitlines(), 1):
            if rx.search(line):
                yield p.relative_to(root).as_posix(), n, line.strip()


def functions(root, folders):
    """(path, name, body) of each top-level C function definition, in this
    tree's layout: the head starts in column 0 (its parameters may go on
    over indented lines) and the body runs from a '{' alone in column 0 to
    the next '}' alone in column 0."""
    head = re.compile(r"^[A-Za-z_][\w \t\*]*?\b(\w+)\s*\(")
    for p in sources(root, folders, (".c",)):
        name, body = None, None
        for line in p.read_text(errors="replace").splitlines():
            if body is not None:
                body.append(line)
                if line == "}":
                    yield p.relative_to(root).as_posix(), name, "\n".join(body)
                    name, body = None, None
                continue
            m = head.match(line)
            if m:
                name = None if line.rstrip().endswith(";") else m.group(1)
            elif line == "{" and name:
                body = [line]
            elif line and not line[0].isspace():
                name = None


def report(found, expected, what):
    """found: list of descriptions; pass when len(found) == expected."""
    for f in found:
        print("  " + f)
    if len(found) != expected:
        print(f"one-way: {what}: {len(found)} found, {expected} expected")
        return False
    print(f"one-way: {what}: ok")
    return True


def check_sha256(root):
    """One SHA-256 in shipped code (libcrypto behind common/digest.c), no
    hand-written one, and nettle in no meson.build."""
    calls = [f"{p}:{n}: {l}" for p, n, l in grep(
        root, SHIPPED, r"EVP_sha256|X509_digest|\bSHA256(_Init)?\(|"
        r"\bsha256_(init|update|digest)\(|nettle/")]
    rounds = [f"{p}:{n}: {l}" for p, n, l in grep(root, SHIPPED,
                                                    r"0x428a2f98")]
    nettle = [f"{p.relative_to(root)}: {l.strip()}"
              for p in sorted(root.rglob("meson.build"))
              if "build" not in p.relative_to(root).parts[:1]
              for l in p.read_text().splitlines() if "nettle" in l]
    ok = report([c for c in calls if not c.startswith("common/digest.c:")],
                0, "SHA-256 outside common/digest.c")
    ok &= report(rounds, 0, "hand-written SHA-256 round constants")
    ok &= report(nettle, 0, "nettle in a meson.build")
    ok &= report([c for c in calls if c.startswith("common/digest.c:")],
                 2, "EVP_sha256 uses in common/digest.c (one-shot, pieces)")
    return ok


def check_base64(root):
    """One base64 alphabet (shipped code and the fleet), no OpenSSL base64."""
    where = SHIPPED + ["tests/fleet"]
    alpha = [f"{p}:{n}" for p, n, l in grep(
        root, where, r"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")]
    ossl = [f"{p}:{n}: {l}" for p, n, l in grep(
        root, where, r"BIO_f_base64|EVP_(Encode|Decode)")]
    # A decoder: one named so, or one that maps 'a'.. to 26.. by range
    # arithmetic (how a hand-written copy does it; the shipped one uses a
    # table).
    decoders = [f"{p}: {name}" for p, name, body in functions(root, SHIPPED)
                if re.search(r"b(ase)?64\w*decode|decode\w*b(ase)?64", name,
                             re.I) or re.search(r"- 'a' \+ 26", body)]
    ok = report(alpha, 1, "base64 alphabets")
    ok &= report(ossl, 0, "OpenSSL base64")
    ok &= report(decoders, 1, "base64 decoders")
    return ok


def check_utf8(root):
    """One UTF-8 decoder: the surrogate and U+10FFFF bounds in one place."""
    found = sorted({f"{p}: {name}" for p, name, body in functions(root, SHIPPED)
                    if re.search(r"0x[dD]800", body)
                    and re.search(r"0x10[fF]{4}", body)})
    return report(found, 1, "UTF-8 decoders")


def check_col_int(root):
    """One integer-or-NULL column reader in storage/."""
    found = [f"{p}: {name}" for p, name, body in functions(root, ["storage"])
             if "SQLITE_NULL" in body and "sqlite3_column_int(" in body]
    named = [f"{p}:{n}: {l}" for p, n, l in grep(
        root, ["storage"], r"^\w.*\bcol_int\s*\(")]
    return report(found, 1, "integer-or-NULL column readers") & \
        report(named, 0, "col_int definitions")


def check_int_or_null(root):
    """One int-or-NULL binder in storage/: NULL for a negative value."""
    found = [f"{p}: {name}" for p, name, body in functions(root, ["storage"])
             if re.search(r"\b\w+ < 0", body)
             and re.search(r"sqlite3_bind_null|\bb_null\(", body)
             and re.search(r"sqlite3_bind_int|\bb_int\(", body)]
    return report(found, 1, "int-or-NULL binders")


def check_sql_params(root):
    """No numbered parameter in storage/'s SQL: not a literal ?NN, nor one
    printed as ?%d. Statements name their parameters (:scan_id, bound at
    kc_param(st, ":scan_id")) or use KC_SQLP(KC_RP_*), so a new parameter
    cannot shift the others. And every name a file binds with kc_param
    appears in that file's SQL: a misspelt name would bind nothing."""
    found = [f"{p}:{n}: {l}" for p, n, l in grep(
        root, ["storage"], r"\?(?:[0-9]|%[0-9]*[dilu])")]
    call = r'kc_param\(\s*\w+\s*,\s*"(:\w+)"\s*\)'
    unbound = []
    for p in sources(root, ["storage"], (".c",)):
        text = p.read_text(errors="replace")
        sql = re.sub(call, "", text)
        for name in sorted(set(re.findall(call, text))):
            if not re.search(re.escape(name) + r"\b", sql):
                unbound.append(f"{p.relative_to(root).as_posix()}: {name}")
    return report(found, 0, "positional ?NN parameters") & \
        report(unbound, 0, "kc_param names missing from the file's SQL")


DEAD = ["cli_not_built", "kc_report_format_str", "kc_bind_int_or_null",
        "kc_report_group"]


def check_dead(root):
    """Symbols removed as unused (or duplicated) stay gone."""
    rx = "|".join(rf"\b{s}\b" for s in DEAD)
    found = [f"{p}:{n}: {l}" for p, n, l in grep(
        root, SHIPPED + ["tests", "bench"], rx)]
    return report(found, 0, "dead symbols")


def check_words(root):
    """The project's files speak of the project."""
    rx = r"(?i)\bsession [0-9]|\bengineers?\b|\bengineer's|\bissue #?[0-9]"
    found = [f"{p}:{n}: {l}" for p, n, l in grep(root, SHIPPED, rx)]
    found += [f"{p}:{n}: {l}" for p, n, l in grep(root, ["docs"], rx,
                                                    (".md",))]
    return report(found, 0, "words from outside the project")


CHECKS = {
    "sha256": check_sha256,
    "base64": check_base64,
    "utf8": check_utf8,
    "col-int": check_col_int,
    "int-or-null": check_int_or_null,
    "sql-params": check_sql_params,
    "dead-symbols": check_dead,
    "words": check_words,
}


def main(argv):
    if len(argv) != 3 or argv[1] not in CHECKS:
        print(f"usage: {argv[0]} {{{'|'.join(CHECKS)}}} SOURCE_ROOT")
        return 2
    root = pathlib.Path(argv[2])
    if not (root / "common" / "common.h").is_file():
        print(f"one-way: {root} is not a kcensus source tree")
        return 2
    return 0 if CHECKS[argv[1]](root) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
