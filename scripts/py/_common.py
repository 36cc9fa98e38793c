"""What the batch scripts of scripts/py share: their command line, the output files they write
per input file, the hash seed and the worker processes.

Imported by flip_to_json.py, lint_many.py and sam_translate.py (which Python finds here since
each is run as a script from this directory); not a script itself.
"""

from __future__ import annotations

import argparse
import os
import sys


def output_stem(path: str) -> str:
    """Basename of *path* without its last extension (``dir/a.yaml`` -> ``a``)."""
    return os.path.splitext(os.path.basename(path))[0]


def check_unique_stems(files: list[str]) -> str | None:
    """Return an error message if two inputs would write the same output file."""
    seen: dict[str, str] = {}
    for f in files:
        stem = output_stem(f)
        if stem in seen and seen[stem] != f:
            return f"{seen[stem]!r} and {f!r} would both write {stem}.json"
        seen[stem] = f
    return None


def batch_parser(prog: str, doc: str, files_help: str) -> argparse.ArgumentParser:
    """The parser of a script writing OUT_DIR/<name>.json or <name>.error per FILE: its
    description (the first paragraph of *doc*), epilog and OUT_DIR FILE... arguments."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description=doc.split("\n\n", 1)[0],
        epilog="Writes OUT_DIR/<name>.json (or <name>.error) for each FILE; exit 0 unless arguments are wrong.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output directory (created if missing)")
    parser.add_argument("files", metavar="FILE", nargs="+", help=files_help)
    return parser


def refuse_clashing_stems(parser: argparse.ArgumentParser, files: list[str]) -> None:
    """Exit through *parser* (status 2) if two FILEs would write the same output file."""
    problem = check_unique_stems(files)
    if problem:
        parser.error(problem)


def write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def write_outcome(out_dir: str, path: str, result: str | None = None, error: str | None = None) -> None:
    """Write the outcome for input *path*: ``OUT_DIR/<stem>.json`` holding *result*, or, when
    *error* is given, ``OUT_DIR/<stem>.error`` holding it; the other file, left by an earlier
    run, is removed."""
    stem = output_stem(path)
    json_path = os.path.join(out_dir, stem + ".json")
    error_path = os.path.join(out_dir, stem + ".error")
    if error is None:
        written, stale, text = json_path, error_path, result
    else:
        written, stale, text = error_path, json_path, error
    if os.path.exists(stale):
        os.remove(stale)
    write_text(written, text)


def fix_hash_seed(script: str) -> None:
    """Re-exec *script* (the caller's ``__file__``) with PYTHONHASHSEED=0 unless it already has it.

    Some outputs depend on set iteration order, which depends on the hash seed: a fixed seed
    makes the results the same from run to run. exec replaces this process (no extra process).
    """
    if os.environ.get("PYTHONHASHSEED") != "0":
        os.environ["PYTHONHASHSEED"] = "0"
        os.execv(sys.executable, [sys.executable, os.path.abspath(script), *sys.argv[1:]])


def default_jobs(file_count: int) -> int:
    """Worker processes when --jobs is not given: 1 below 40 files, else the CPUs, at most 2."""
    return min(2, os.cpu_count() or 1) if file_count >= 40 else 1


def fork_pool(workers: int):
    """A pool of *workers* forked processes (they inherit the state set up before)."""
    import concurrent.futures
    import multiprocessing

    return concurrent.futures.ProcessPoolExecutor(
        max_workers=workers, mp_context=multiprocessing.get_context("fork")
    )
