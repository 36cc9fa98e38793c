#!/usr/bin/env python3
"""Run cfn-lint over many CloudFormation templates in one process and print one JSON object.

Usage: python scripts/py/lint_many.py [options] FILE...

Output (stdout), one JSON object with an entry for every FILE, keyed by the path exactly as
given, in the order given:

    {"path/a.json": [{"rule": "E3012", "path": ["Resources", "Fn", "Properties", "Runtime"],
                      "message": "..."}, ...],
     "path/b.json": []}

The findings of each file are de-duplicated and sorted by (rule, path, message), so the output
is deterministic and independent of line numbers: findings of a template before and after a
transformation can be compared directly. ``path`` is cfn-lint's location path (a list of keys
and list indexes; ``[]`` when cfn-lint gives none). ``--with-location`` adds ``line``,
``column`` and ``level`` to each finding (these do depend on the file's layout).

cfn-lint runs in-process through its Python API (``cfnlint.api.lint_by_config``: one rule
set, all files); ``--subprocess`` instead makes ONE ``cfn-lint --format json ...`` call with
all the files (same results). ``--jobs N`` (default: 1 for fewer than 40 files, else the number
of CPUs but at most 2) splits the files into N size-balanced groups linted side by side, each by
one worker process (not one process per file). Regions default to us-east-1 (``--regions R1,R2``).
A file that does not exist gets an E0000 "Template file not found" finding. The script
re-executes itself with PYTHONHASHSEED=0 so that nothing depends on Python's per-run hash seed.

Exit status: 0 when linting ran (whatever it found), 1 if cfn-lint itself failed,
2 for bad arguments.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from _common import default_jobs, fix_hash_seed, fork_pool


def _finding(rule: str, path, message: str, line=None, column=None, level=None, with_location=False):
    # cfn-lint hands out str/int subclasses (decoded YAML nodes): make them plain values.
    def plain(x):
        if isinstance(x, bool) or x is None:
            return x
        if isinstance(x, str):
            return str(x)
        if isinstance(x, int):
            return int(x)
        if isinstance(x, float):
            return float(x)
        return str(x)

    item = {"rule": str(rule), "path": [plain(p) for p in path] if path else [], "message": str(message)}
    if with_location:
        item.update({"line": plain(line), "column": plain(column), "level": plain(level)})
    return item


def _sort_key(item: dict):
    return (
        item["rule"],
        json.dumps(item["path"], sort_keys=True, default=str),
        item["message"],
        item.get("line") or 0,
        item.get("column") or 0,
    )


def lint_api(files: list[str], regions: list[str], ignore: list[str], include: list[str], with_location: bool):
    """Yield (normalised filename, finding) for all files, in one cfn-lint run."""
    from cfnlint.api import ManualArgs, lint_by_config

    config = ManualArgs(
        templates=[glob.escape(f) for f in files],
        regions=regions,
        ignore_checks=ignore,
        include_checks=include,
    )
    for m in lint_by_config(config):
        yield m.filename, _finding(
            m.rule.id,
            getattr(m, "path", None),
            m.message,
            m.linenumber,
            m.columnnumber,
            m.rule.severity,
            with_location,
        )


def lint_subprocess(files: list[str], regions: list[str], ignore: list[str], include: list[str], with_location: bool):
    """Same as lint_api, through one `cfn-lint --format json` process."""
    exe = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
    if not os.path.exists(exe):
        exe = shutil.which("cfn-lint") or "cfn-lint"
    cmd = [exe, "--format", "json", "--regions", *regions]
    if ignore:
        cmd += ["--ignore-checks", *ignore]
    if include:
        cmd += ["--include-checks", *include]
    cmd += ["--", *[glob.escape(f) for f in files]]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    # cfn-lint's exit code is a bit mask of the levels found (2, 4, 8); other codes are failures.
    if proc.returncode & ~(2 | 4 | 8):
        raise RuntimeError(f"cfn-lint exited {proc.returncode}: {proc.stderr.strip()}")
    for m in json.loads(proc.stdout or "[]"):
        loc = m.get("Location") or {}
        start = loc.get("Start") or {}
        yield m.get("Filename"), _finding(
            m["Rule"]["Id"],
            loc.get("Path"),
            m["Message"],
            start.get("LineNumber"),
            start.get("ColumnNumber"),
            m.get("Level", "").lower() or None,
            with_location,
        )


def _run_group(mode: str, files: list[str], regions, ignore, include, with_location):
    run = lint_subprocess if mode == "subprocess" else lint_api
    return list(run(files, regions, ignore, include, with_location))


def split_by_size(files: list[str], groups: int) -> list[list[str]]:
    """Split files into `groups` lists of about equal total size (greedy, biggest first)."""
    buckets: list[tuple[int, list[str]]] = [(0, []) for _ in range(groups)]
    for f in sorted(files, key=lambda f: (-os.path.getsize(f), f)):
        i = min(range(groups), key=lambda k: buckets[k][0])
        total, members = buckets[i]
        members.append(f)
        buckets[i] = (total + os.path.getsize(f), members)
    return [sorted(members) for _, members in buckets if members]


def lint_all(files, mode, jobs, regions, ignore, include, with_location):
    """Yield (filename, finding) for every file, using `jobs` workers."""
    if jobs <= 1 or len(files) < 2:
        yield from _run_group(mode, files, regions, ignore, include, with_location)
        return
    import concurrent.futures

    groups = split_by_size(files, min(jobs, len(files)))
    if mode == "subprocess":
        pool = concurrent.futures.ThreadPoolExecutor(max_workers=len(groups))
    else:
        pool = fork_pool(len(groups))
    with pool:
        futures = [
            pool.submit(_run_group, mode, g, regions, ignore, include, with_location) for g in groups
        ]
        for fut in futures:
            yield from fut.result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="lint_many.py",
        description=__doc__.split("\n\n", 1)[0],
        epilog="Prints {FILE: [{rule, path, message}, ...], ...} on stdout.",
    )
    parser.add_argument("files", metavar="FILE", nargs="+", help="CloudFormation templates (YAML or JSON)")
    parser.add_argument("--regions", action="append", default=[], metavar="R1,R2", help="regions to lint for, comma-separated or repeated (default: us-east-1)")
    parser.add_argument("--ignore-checks", action="append", default=[], metavar="RULES", help="rule ids or prefixes to ignore, comma-separated or repeated (e.g. W3005,I)")
    parser.add_argument("--include-checks", action="append", default=[], metavar="RULES", help="extra rule ids or prefixes to include, comma-separated or repeated (e.g. I)")
    parser.add_argument("--with-location", action="store_true", help="add line, column and level to each finding")
    parser.add_argument("--subprocess", action="store_true", help="run one `cfn-lint --format json` process instead of the Python API")
    parser.add_argument("-j", "--jobs", type=int, default=None, help="worker processes (default: CPUs, max 2; 1 below 40 files)")
    parser.add_argument("--indent", type=int, default=None, help="indent the JSON output")
    args = parser.parse_args(argv)

    def split_list(values: list[str]) -> list[str]:
        return [v for item in values for v in item.replace(",", " ").split() if v]

    args.regions = split_list(args.regions) or ["us-east-1"]
    args.ignore_checks = split_list(args.ignore_checks)
    args.include_checks = split_list(args.include_checks)

    results: dict[str, list[dict]] = {f: [] for f in args.files}
    # cfn-lint reports files as str(Path(name)); map that back to the names as given.
    by_norm: dict[str, list[str]] = {}
    for f in results:
        by_norm.setdefault(str(Path(f)), []).append(f)
        by_norm.setdefault(os.path.abspath(f), []).append(f)

    existing = []
    for f in results:
        if os.path.isfile(f):
            existing.append(f)
        else:
            results[f].append(_finding("E0000", [], f"Template file not found: {f}"))
    unique = list(dict.fromkeys(str(Path(f)) for f in existing))

    if unique:
        jobs = args.jobs
        if jobs is None:
            jobs = default_jobs(len(unique))
        mode = "subprocess" if args.subprocess else "api"
        try:
            for filename, item in lint_all(
                unique, mode, jobs, args.regions, args.ignore_checks, args.include_checks, args.with_location
            ):
                names = by_norm.get(str(Path(filename))) if filename else None
                if names is None and filename:
                    names = by_norm.get(os.path.abspath(filename))
                if names is None:
                    print(f"lint_many: finding for unknown file {filename!r}: {item}", file=sys.stderr)
                    continue
                for name in dict.fromkeys(names):
                    results[name].append(item)
        except Exception as exc:  # noqa: BLE001
            print(f"lint_many: cfn-lint failed: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 1

    for name, items in results.items():
        unique_items = {json.dumps(i, sort_keys=True, default=str): i for i in items}
        results[name] = sorted(unique_items.values(), key=_sort_key)

    json.dump(results, sys.stdout, indent=args.indent, default=str)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    fix_hash_seed(__file__)
    sys.exit(main())
