#!/usr/bin/env python3
"""Translate many SAM templates to plain CloudFormation with aws-sam-translator, offline, in one process.

Usage: python scripts/py/sam_translate.py [options] OUT_DIR FILE...

Each FILE is a SAM template (YAML with short-form tags, or JSON; long form is fine too).
For each one this writes ``OUT_DIR/<basename without extension>.json`` (the translated
template, ``json.dumps(indent=2)`` plus a newline) or, when the translation fails,
``OUT_DIR/<name>.error`` with the error message; then it goes on with the next file.

The translation mimics aws-sam-translator's own end-to-end tests
(tests/translator/test_translator.py) so that it needs no AWS credentials and no network:

* the template is read with ``samtranslator.yaml_helper.yaml_parse`` and round-tripped
  through JSON, as the tests do (YAML dates/timestamps become ISO strings instead of failing);
* parameter values ``{"param1": "value1", "param2": "value2"}`` (the tests' helper), plus any
  ``--parameter NAME=VALUE``; the translator itself then adds the parameters' defaults and the
  pseudo parameters ``AWS::Region`` (the region below) and ``AWS::Partition``;
* the region is ``--region``, else ``$AWS_DEFAULT_REGION``, else ``us-east-1`` (the tests use
  ap-southeast-1 for the ``aws`` partition); it is given to the translator through a stand-in
  boto session object (and exported as AWS_DEFAULT_REGION for the few places that ask boto3's
  local data, e.g. whether SAR exists in the region); nothing ever calls AWS;
* managed policy names are resolved first by the translator's bundled map, then by a stub
  policy loader holding the tests' map (e.g. ``AWSLambdaBasicExecutionRole`` ->
  ``arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole``) and, with
  ``--policy-fallback arn`` (the default), mapping any other name to
  ``arn:<partition>:iam::aws:policy/NAME``; ``--policy-fallback keep`` leaves unknown names
  as they are, exactly as the tests do;
* Serverless Application Repository calls (AWS::Serverless::Application) are answered by
  the tests' stand-in (TemplateUrl https://awsserverlessrepo-changesets-xxx.s3.amazonaws.com/signed-url).

With ``--jobs N`` (default: 1 below 40 files, else the number of CPUs, at most 2) the files
are shared out between N forked worker processes (never one process per file).

aws-sam-translator's output order depends in places (e.g. the order of ``DependsOn`` lists or
of conditions) on Python's per-run hash seed, so the script re-executes itself with
PYTHONHASHSEED=0: the same input always gives byte-identical output.

A summary line goes to stderr. Exit status 0 whatever happened to individual files; 2 for
bad arguments.
"""

from __future__ import annotations

import datetime
import json
import os
import sys
import time

from _common import (
    batch_parser,
    default_jobs,
    fix_hash_seed,
    fork_pool,
    refuse_clashing_stems,
    write_outcome,
)

# The tests' helper tests/translator/helpers.py:get_template_parameter_values()
TEST_PARAMETER_VALUES = {"param1": "value1", "param2": "value2"}


def _json_default(obj):
    if isinstance(obj, (datetime.date, datetime.datetime, datetime.time)):
        return obj.isoformat()
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


class _StubSession:
    """Stands in for boto3.Session: the translator only reads ``region_name``."""

    def __init__(self, region_name: str) -> None:
        self.region_name = region_name


class _PolicyMap(dict):
    """Managed policy map whose ``get`` maps unknown names to an AWS-managed policy ARN."""

    def __init__(self, known: dict[str, str], partition: str | None) -> None:
        super().__init__(known)
        self._partition = partition

    def get(self, name, default=None):  # type: ignore[override]
        if name in self:
            return self[name]
        if self._partition and isinstance(name, str) and name:
            return f"arn:{self._partition}:iam::aws:policy/{name}"
        return default


class OfflinePolicyLoader:
    """ManagedPolicyLoader stand-in (no IAM call): ``load()`` returns a fixed map."""

    def __init__(self, partition: str, fallback_to_arn: bool) -> None:
        known = {
            "AWSLambdaBasicExecutionRole": f"arn:{partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
            "AmazonDynamoDBFullAccess": f"arn:{partition}:iam::aws:policy/AmazonDynamoDBFullAccess",
            "AmazonDynamoDBReadOnlyAccess": f"arn:{partition}:iam::aws:policy/AmazonDynamoDBReadOnlyAccess",
            "AWSLambdaRole": f"arn:{partition}:iam::aws:policy/service-role/AWSLambdaRole",
        }
        if partition == "aws":
            known["AWSXrayWriteOnlyAccess"] = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
        else:
            known["AWSXRayDaemonWriteAccess"] = f"arn:{partition}:iam::aws:policy/AWSXRayDaemonWriteAccess"
        self._map = _PolicyMap(known, partition if fallback_to_arn else None)

    def load(self) -> dict[str, str]:
        return self._map


def _mock_sar_service_call(self, service_call_function, logical_id, *args):
    """The tests' stand-in for ServerlessAppPlugin._sar_service_call (args[0] is the application id)."""
    from samtranslator.model.exceptions import InvalidResourceException

    application_id = args[0]
    status = "ACTIVE"
    if application_id in ("no-access", "non-existent", "invalid-semver"):
        raise InvalidResourceException(logical_id, f"Cannot access application: {application_id}.")
    if application_id == 1:
        raise InvalidResourceException(logical_id, "Type of property 'ApplicationId' is invalid.")
    if application_id == "preparing" and self._wait_for_template_active_status < 2:
        self._wait_for_template_active_status += 1
        self.SLEEP_TIME_SECONDS = 0
        self.TEMPLATE_WAIT_TIMEOUT_SECONDS = 2
        status = "PREPARING"
    elif application_id == "preparing-never-ready":
        self._wait_for_template_active_status = True
        self.SLEEP_TIME_SECONDS = 0
        self.TEMPLATE_WAIT_TIMEOUT_SECONDS = 0
        status = "PREPARING"
    elif application_id == "expired":
        status = "EXPIRED"
    return {
        "ApplicationId": args[0],
        "CreationTime": "x",
        "ExpirationTime": "x",
        "SemanticVersion": "1.1.1",
        "Status": status,
        "TemplateId": "id-xx-xx",
        "TemplateUrl": "https://awsserverlessrepo-changesets-xxx.s3.amazonaws.com/signed-url",
    }


def read_template(path: str):
    """Parse a SAM template the way the translator's tests do (JSON first for speed)."""
    from samtranslator.yaml_helper import yaml_parse

    with open(path, encoding="utf-8") as fh:
        text = fh.read()
    try:
        manifest = json.loads(text)
    except ValueError:
        manifest = yaml_parse(text)
    # Round-trip through JSON as the tests do ("to uncover unicode-related bugs").
    return json.loads(json.dumps(manifest, default=_json_default))


def error_message(exc: BaseException) -> str:
    from samtranslator.model.exceptions import InvalidDocumentException

    if isinstance(exc, InvalidDocumentException):
        causes = " ".join(sorted(c.message for c in exc.causes))
        return f"{exc.message} {causes}".strip()
    return f"{type(exc).__name__}: {exc}"


def make_translate(region: str, fallback_to_arn: bool, extra_parameters: dict[str, str]):
    from samtranslator.parser.parser import Parser
    from samtranslator.plugins.application.serverless_app_plugin import ServerlessAppPlugin
    from samtranslator.translator.arn_generator import ArnGenerator
    from samtranslator.translator.translator import Translator
    from samtranslator.utils.py27hash_fix import (
        to_py27_compatible_template,
        undo_mark_unicode_str_in_template,
    )

    ServerlessAppPlugin._sar_service_call = _mock_sar_service_call  # offline SAR
    ArnGenerator.BOTO_SESSION_REGION_NAME = region
    partition = ArnGenerator.get_partition_name(region)
    policy_loader = OfflinePolicyLoader(partition, fallback_to_arn)
    session = _StubSession(region)

    def translate(manifest, passthrough_metadata=False):
        # Same steps as samtranslator.translator.transform.transform(), with our session.
        parameter_values = dict(TEST_PARAMETER_VALUES)
        parameter_values.update(extra_parameters)
        to_py27_compatible_template(manifest, parameter_values)
        translator = Translator(None, Parser(), boto_session=session)
        transformed = translator.translate(
            manifest,
            parameter_values=parameter_values,
            get_managed_policy_map=policy_loader.load,
            passthrough_metadata=passthrough_metadata,
        )
        return undo_mark_unicode_str_in_template(transformed)

    return translate


_WORKER_STATE = None  # (translate, out_dir, sort_keys, passthrough_metadata), set before forking


def _process_files(files: list[str]) -> tuple[int, int]:
    """Translate `files`, writing <name>.json or <name>.error; returns (ok, failed)."""
    translate, out_dir, sort_keys, passthrough_metadata = _WORKER_STATE
    ok = failed = 0
    for path in files:
        try:
            output = translate(read_template(path), passthrough_metadata)
            text = json.dumps(output, indent=2, sort_keys=sort_keys, default=_json_default) + "\n"
        except Exception as exc:  # noqa: BLE001 - per-file failures are reported, not fatal
            failed += 1
            write_outcome(out_dir, path, error=error_message(exc) + "\n")
            continue
        ok += 1
        write_outcome(out_dir, path, text)
    return ok, failed


def main(argv: list[str] | None = None) -> int:
    parser = batch_parser("sam_translate.py", __doc__, "SAM templates (YAML or JSON)")
    parser.add_argument(
        "--region",
        default=os.environ.get("AWS_DEFAULT_REGION") or "us-east-1",
        help="AWS region for AWS::Region / the partition (default: $AWS_DEFAULT_REGION or us-east-1)",
    )
    parser.add_argument(
        "--policy-fallback",
        choices=("arn", "keep"),
        default="arn",
        help="managed policy names unknown to the translator: 'arn' maps NAME to "
        "arn:<partition>:iam::aws:policy/NAME (default), 'keep' leaves them as is (like SAM's tests)",
    )
    parser.add_argument(
        "-p",
        "--parameter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra template parameter value (repeatable)",
    )
    parser.add_argument(
        "--passthrough-metadata",
        action="store_true",
        help="copy resources' Metadata to the generated resources (transform(passthrough_metadata=True))",
    )
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=None,
        help="worker processes, each taking a share of the files (default: 1 below 40 files, else CPUs, max 2)",
    )
    parser.add_argument("--sort-keys", action="store_true", help="sort object keys in the output")
    parser.add_argument("-q", "--quiet", action="store_true", help="no summary line on stderr")
    args = parser.parse_args(argv)

    refuse_clashing_stems(parser, args.files)
    extra: dict[str, str] = {}
    for item in args.parameter:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--parameter wants NAME=VALUE, got {item!r}")
        extra[name] = value

    # Anything in samtranslator/boto3 that still asks boto3 for a region gets ours.
    os.environ["AWS_DEFAULT_REGION"] = args.region
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    import logging

    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    translate = make_translate(args.region, args.policy_fallback == "arn", extra)

    os.makedirs(args.out_dir, exist_ok=True)
    start = time.monotonic()
    global _WORKER_STATE
    _WORKER_STATE = (translate, args.out_dir, args.sort_keys, args.passthrough_metadata)
    jobs = args.jobs
    if jobs is None:
        jobs = default_jobs(len(args.files))
    if jobs <= 1:
        ok, failed = _process_files(args.files)
    else:
        groups = [args.files[i::jobs] for i in range(jobs)]
        ok = failed = 0
        with fork_pool(jobs) as pool:
            for group_ok, group_failed in pool.map(_process_files, [g for g in groups if g]):
                ok += group_ok
                failed += group_failed
    if not args.quiet:
        print(
            f"sam_translate: {ok} ok, {failed} errors, region {args.region}, "
            f"{time.monotonic() - start:.2f}s",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    fix_hash_seed(__file__)
    sys.exit(main())
