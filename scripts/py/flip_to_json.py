#!/usr/bin/env python3
"""Convert many CloudFormation templates to long-form JSON with cfn-flip, in one process.

Usage: python scripts/py/flip_to_json.py OUT_DIR FILE...

For every input template (YAML with short-form tags such as ``!Ref``/``!GetAtt``/``!Sub``,
or JSON) this writes ``OUT_DIR/<basename without extension>.json`` holding exactly the text
that ``cfn_flip.to_json(text)`` returns (the same as ``cfn-flip -j FILE``: 4-space indent,
``ensure_ascii=False``, no trailing newline). If a file cannot be read or converted,
``OUT_DIR/<name>.error`` gets the error message instead and the run goes on.

A summary line ("flip_to_json: N ok, M errors") goes to stderr. The exit status is 0
whatever happened to individual files; 2 means bad arguments (missing OUT_DIR/FILE, or two
inputs that would write the same output name).

Notes on how cfn-flip reads YAML (it uses PyYAML's SafeLoader, i.e. YAML 1.1 rules):
unquoted ``Yes``/``No``/``On``/``Off`` become booleans, ``0123`` is octal (83), ``0x1F`` is 31,
``1_000`` is 1000, ``1:30`` is 90 (base 60), ``.inf`` is written as ``Infinity`` (not valid
JSON), ``2010-09-09`` becomes a date written back as the string "2010-09-09" (timestamps are
rewritten in Python's isoformat), ``!GetAtt A.B.C`` becomes ``["A", "B.C"]`` (split at the
first dot), ``!GetAtt [A, !Ref B]`` silently becomes ``["A", "B"]``, unknown tags ``!X`` become
``Fn::X``, duplicate keys keep the last value, and ``<<`` merge keys are an error. When YAML
parsing fails cfn-flip reports the JSON parser's error; the .error file adds the YAML one.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


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


def write_text(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def describe_error(exc: Exception, text: str | None) -> str:
    """The error message; cfn-flip re-raises the *JSON* error when YAML parsing fails too,
    so add the YAML parser's own message, which is the useful one."""
    message = f"{type(exc).__name__}: {exc}\n"
    if text is not None and isinstance(exc, ValueError) and type(exc).__name__ == "JSONDecodeError":
        from cfn_tools import load_yaml

        try:
            load_yaml(text)
        except Exception as yaml_exc:  # noqa: BLE001
            message += f"YAML: {type(yaml_exc).__name__}: {yaml_exc}\n"
    return message


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="flip_to_json.py",
        description=__doc__.split("\n\n", 1)[0],
        epilog="Writes OUT_DIR/<name>.json (or <name>.error) for each FILE; exit 0 unless arguments are wrong.",
    )
    parser.add_argument("out_dir", metavar="OUT_DIR", help="output directory (created if missing)")
    parser.add_argument("files", metavar="FILE", nargs="+", help="CloudFormation templates (YAML or JSON)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    args = parser.parse_args(argv)

    problem = check_unique_stems(args.files)
    if problem:
        parser.error(problem)

    import cfn_flip  # imported late so that --help stays fast

    os.makedirs(args.out_dir, exist_ok=True)
    start = time.monotonic()
    ok = failed = 0
    for path in args.files:
        stem = output_stem(path)
        json_path = os.path.join(args.out_dir, stem + ".json")
        error_path = os.path.join(args.out_dir, stem + ".error")
        text = None
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            result = cfn_flip.to_json(text)
        except Exception as exc:  # noqa: BLE001 - any per-file failure is reported, not fatal
            failed += 1
            for stale in (json_path,):
                if os.path.exists(stale):
                    os.remove(stale)
            write_text(error_path, describe_error(exc, text))
            continue
        ok += 1
        if os.path.exists(error_path):
            os.remove(error_path)
        write_text(json_path, result)
    if not args.quiet:
        print(
            f"flip_to_json: {ok} ok, {failed} errors, {time.monotonic() - start:.2f}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
