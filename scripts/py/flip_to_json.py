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

import os
import sys
import time

from _common import batch_parser, refuse_clashing_stems, write_outcome


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
    parser = batch_parser("flip_to_json.py", __doc__, "CloudFormation templates (YAML or JSON)")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    args = parser.parse_args(argv)
    refuse_clashing_stems(parser, args.files)

    import cfn_flip  # imported late so that --help stays fast

    os.makedirs(args.out_dir, exist_ok=True)
    start = time.monotonic()
    ok = failed = 0
    for path in args.files:
        text = None
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
            result = cfn_flip.to_json(text)
        except Exception as exc:  # noqa: BLE001 - any per-file failure is reported, not fatal
            failed += 1
            write_outcome(args.out_dir, path, error=describe_error(exc, text))
            continue
        ok += 1
        write_outcome(args.out_dir, path, result)
    if not args.quiet:
        print(
            f"flip_to_json: {ok} ok, {failed} errors, {time.monotonic() - start:.2f}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
