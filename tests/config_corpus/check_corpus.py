#!/usr/bin/env python3
"""Differential check of the config corpus: `-t -c FILE` on nats-server and on ringnats.

Sets (directories beside this script; only their top-level *.conf files are checked, the
fragments they include live in subdirectories):
  valid/              nats-server accepts; ringnats must accept.
  invalid/            nats-server refuses; ringnats must refuse, at the same line:column when
                      nats-server names one (see position_differences.txt).
  unsupported/        nats-server accepts; ringnats refuses with "not supported by ringnats".
  reference_crashes/  nats-server cannot check them (it recurses until its stack overflows);
                      ringnats must refuse them cleanly. nats-server is not run on these.

With --reference-only, ringnats is not run: the check is then that every file is in the
right set according to nats-server, which keeps the corpus honest.

Exit status: 0 all good, 1 a check failed, 77 (meson's "skipped") nats-server missing.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

SETS = ("valid", "invalid", "unsupported", "reference_crashes")
TIMEOUT_SECONDS = 30
SKIP_EXIT = 77

# file:LINE:COL: reason (nats-server's and ringnats' form for most errors).
POSITION_RE = re.compile(r":(\d+):(\d+): ")
# Lexer errors and unresolved variables name a line only.
LINE_ONLY_RES = (re.compile(r"Parse error on line (\d+)"), re.compile(r" on line (\d+) "))


@dataclass
class Run:
    code: Optional[int]  # None: timed out
    stderr: str

    @property
    def accepted(self) -> bool:
        return self.code == 0

    @property
    def refused(self) -> bool:
        return self.code == 1

    def describe(self) -> str:
        status = "timed out" if self.code is None else f"exit {self.code}"
        return f"{status}: {self.stderr.strip()}"


@dataclass
class Position:
    line: int
    column: Optional[int]  # None when only a line is given

    def __str__(self) -> str:
        return f"{self.line}" if self.column is None else f"{self.line}:{self.column}"


def error_position(stderr: str) -> Optional[Position]:
    first = stderr.strip().splitlines()[0] if stderr.strip() else ""
    match = POSITION_RE.search(first)
    if match:
        return Position(int(match.group(1)), int(match.group(2)))
    for pattern in LINE_ONLY_RES:
        match = pattern.search(first)
        if match:
            return Position(int(match.group(1)), None)
    return None


def same_position(reference: Position, candidate: Optional[Position]) -> bool:
    if candidate is None:
        return False
    if reference.column is None:
        return reference.line == candidate.line
    return (reference.line, reference.column) == (candidate.line, candidate.column)


def corpus_environment(corpus: Path) -> dict:
    env = dict(os.environ)
    env.update({
        "RINGNATS_CFG_PORT": "4333",
        "RINGNATS_CFG_NAME": "env-server",
        "RINGNATS_CFG_BOOL": "true",
        "RINGNATS_CFG_SIZE": "2KB",
        "RINGNATS_CFG_TLS_CERT": str(corpus / "tls_files" / "cert.pem"),
        "RINGNATS_CFG_TLS_KEY": str(corpus / "tls_files" / "key.pem"),
        # The certificate is self-signed: it is its own CA.
        "RINGNATS_CFG_TLS_CA": str(corpus / "tls_files" / "cert.pem"),
        "RINGNATS_CFG_TLS_JUNK": str(corpus / "tls_files" / "junk.pem"),
        "RINGNATS_CFG_TLS_MISSING": str(corpus / "tls_files" / "missing.pem"),
    })
    env.pop("RINGNATS_CFG_NOT_SET_ANYWHERE", None)
    return env


def check_config(binary: str, config: Path, workdir: str, env: dict) -> Run:
    try:
        done = subprocess.run([binary, "-t", "-c", str(config)], cwd=workdir, env=env,
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, timeout=TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as expired:
        stderr = expired.stderr.decode(errors="replace") if expired.stderr else ""
        return Run(None, stderr)
    text = (done.stderr + done.stdout).decode(errors="replace")
    return Run(done.returncode, text)


def load_position_exceptions(path: Path) -> set:
    if not path.exists():
        return set()
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            names.add(line)
    return names


class Report:
    def __init__(self) -> None:
        self.passed = 0
        self.failures = []
        self.notes = []

    def ok(self) -> None:
        self.passed += 1

    def fail(self, name: str, why: str, *runs) -> None:
        self.failures.append(self._entry(name, why, runs))

    def note(self, name: str, why: str, *runs) -> None:
        self.notes.append(self._entry(name, why, runs))

    @staticmethod
    def _entry(name: str, why: str, runs) -> str:
        lines = [f"{name}: {why}"]
        for label, run in runs:
            lines.append(f"    {label:<12} {run.describe()}")
        return "\n".join(lines)


def check_file(set_name: str, config: Path, args, workdir: str, env: dict,
               position_exceptions: set, report: Report) -> None:
    name = f"{set_name}/{config.name}"
    reference = None
    if set_name != "reference_crashes":
        reference = check_config(args.nats_server, config, workdir, env)
        expected_accept = set_name in ("valid", "unsupported")
        if expected_accept != reference.accepted or reference.code not in (0, 1):
            report.fail(name, "misfiled: nats-server disagrees with the set this file is in",
                        ("nats-server", reference))
            return
    if args.reference_only:
        report.ok()
        return

    candidate = check_config(args.ringnats, config, workdir, env)
    runs = [("ringnats", candidate)] if reference is None else [("nats-server", reference),
                                                              ("ringnats", candidate)]
    if candidate.code not in (0, 1):
        report.fail(name, "ringnats did not exit with 0 or 1", *runs)
        return
    if set_name == "valid":
        if not candidate.accepted:
            report.fail(name, "nats-server accepts, ringnats refuses", *runs)
            return
    elif set_name == "unsupported":
        if not candidate.refused or "not supported by ringnats" not in candidate.stderr:
            report.fail(name, "expected ringnats to refuse with \"not supported by ringnats\"",
                        *runs)
            return
    else:
        if not candidate.refused:
            report.fail(name, "ringnats accepts a file it must refuse", *runs)
            return
        if reference is not None:
            want = error_position(reference.stderr)
            got = error_position(candidate.stderr)
            if want is not None and not same_position(want, got):
                why = f"error position differs: nats-server {want}, ringnats {got or 'none'}"
                if config.name in position_exceptions:
                    report.note(name, why + " (listed in position_differences.txt)", *runs)
                else:
                    report.fail(name, why, *runs)
                    return
            elif want is not None and config.name in position_exceptions:
                report.note(name, "position now matches: remove it from "
                                  "position_differences.txt", *runs)
    report.ok()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--nats-server", default="")
    parser.add_argument("--ringnats", default="")
    parser.add_argument("--set", action="append", choices=SETS, dest="sets")
    parser.add_argument("--reference-only", action="store_true")
    args = parser.parse_args()

    if not args.nats_server or not os.access(args.nats_server, os.X_OK):
        print("nats-server not found: skipping the config corpus")
        return SKIP_EXIT
    if not args.reference_only and not args.ringnats:
        parser.error("--ringnats is required unless --reference-only")

    # The servers run in a temporary directory: make every path absolute first.
    args.nats_server = os.path.abspath(args.nats_server)
    if args.ringnats:
        args.ringnats = os.path.abspath(args.ringnats)
    corpus = args.corpus.resolve()
    env = corpus_environment(corpus)
    exceptions = load_position_exceptions(corpus / "position_differences.txt")
    report = Report()
    with tempfile.TemporaryDirectory(prefix="ringnats-config-corpus-") as workdir:
        for set_name in args.sets or SETS:
            for config in sorted((corpus / set_name).glob("*.conf")):
                check_file(set_name, config, args, workdir, env, exceptions, report)

    for entry in report.notes:
        print("NOTE " + entry)
    for entry in report.failures:
        print("FAIL " + entry)
    print(f"config files: {report.passed} ok, {len(report.failures)} failed")
    return 1 if report.failures else 0


if __name__ == "__main__":
    sys.exit(main())
