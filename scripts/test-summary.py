#!/usr/bin/env python3
"""Prints 'N passed, N failed[, N skipped]' from meson testlog.json files.

CI reads this line. Exit status 1 if any test failed (or none ran)."""
import json
import sys

passed = failed = skipped = 0
failures = []
for path in sys.argv[1:]:
    try:
        with open(path) as f:
            for line in f:
                if not line.strip():
                    continue
                t = json.loads(line)
                res = t.get("result")
                name = f"{path.split('/')[0]}:{t.get('name')}"
                if res in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif res == "SKIP":
                    skipped += 1
                else:
                    failed += 1
                    failures.append(f"{name} ({res})")
    except FileNotFoundError:
        print(f"test-summary: {path} missing (build or test run failed)")
        failed += 1
        failures.append(path)
for f in failures:
    print(f"FAILED: {f}")
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed or passed == 0 else 0)
