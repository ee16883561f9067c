#!/usr/bin/env python3
"""Adds up meson's testlog.json files and prints 'N passed, N failed, N skipped'.

    summarize_results.py [--failed N] LOG[=SUITE,SUITE...]...

--failed N adds N failures counted elsewhere (builds that failed). Each LOG may name the
suites its build was expected to run: a suite in which no test ran (none registered, or
all skipped) counts as one failed test, so tests that vanish (a dependency missing, a
registration dropped) fail the run instead of shrinking it. Exits non-zero if any test
failed or no test ran at all.
"""
import collections
import json
import sys


def suites_of(entry):
    """The suites of one testlog.json entry."""
    if "suite" in entry:  # newer meson: ["project:suite", ...]
        return [suite.rpartition(":")[2] for suite in entry["suite"]]
    # meson 1.0 names the entry "project:suite1+suite2 / test".
    head, separator, _ = entry.get("name", "").partition(" / ")
    return head.partition(":")[2].split("+") if separator else []


def main(args):
    passed = failed = skipped = 0
    if len(args) >= 2 and args[0] == "--failed":
        failed = int(args[1])
        args = args[2:]
    for arg in args:
        path, _, expected = arg.partition("=")
        ran = collections.Counter()  # suite -> tests that ran (not skipped)
        try:
            with open(path) as log:
                for line in log:
                    entry = json.loads(line)
                    result = entry.get("result")
                    if result in ("OK", "EXPECTEDFAIL"):
                        passed += 1
                    elif result == "SKIP":
                        skipped += 1
                    else:
                        failed += 1
                    if result != "SKIP":
                        ran.update(suites_of(entry))
        except OSError as error:
            print(f"missing test log {path}: {error}", file=sys.stderr)
            failed += 1
            continue
        for suite in filter(None, expected.split(",")):
            if ran[suite] == 0:
                print(f"{path}: no test of suite '{suite}' ran (counted as failed)")
                failed += 1
    if passed + failed == 0:
        failed = 1  # a run that tested nothing is not a pass
    print(f"{passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
