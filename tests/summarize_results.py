#!/usr/bin/env python3
"""Adds up meson's testlog.json files and prints 'N passed, N failed, N skipped'.

Exits non-zero if any test failed or no test ran at all.
"""
import json
import sys

passed = failed = skipped = 0
paths = sys.argv[1:]
if len(paths) >= 2 and paths[0] == "--failed":
    failed = int(paths[1])
    paths = paths[2:]
for path in paths:
    try:
        with open(path) as log:
            for line in log:
                result = json.loads(line).get("result")
                if result in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif result == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except OSError as error:
        print(f"missing test log {path}: {error}", file=sys.stderr)
        failed += 1
if passed + failed == 0:
    failed = 1  # a run that tested nothing is not a pass
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
