"""`dam local` runs the whole backend on 127.0.0.1; `dam token` prints a bearer token it accepts; `dam doctor
--aws` explains why analysis fails on AWS."""

from __future__ import annotations

import argparse
import logging
import os
import shlex
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from dam_local.tokens import DEFAULT_TTL_SECONDS, ROLES, issue_token, signing_key

DEFAULT_DATA_DIR = ".dam"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dam", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser("local", help="run the API, storage and pipeline on 127.0.0.1")
    local.add_argument("--host", default="127.0.0.1")
    local.add_argument("--port", type=int, default=8000, help="API port (0: any free port)")
    local.add_argument("--moto-port", type=int, default=0, help="AWS endpoint port (0: any free port)")
    local.add_argument("--demo", action="store_true", help="seed demo assets through the API")
    local.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR))

    token = commands.add_parser("token", help="print a bearer token the local stack accepts")
    token.add_argument("--user", required=True)
    token.add_argument("--workspace", required=True)
    token.add_argument("--role", required=True, choices=ROLES, help="viewer means no group")
    token.add_argument("--client", action="append", default=[], help="a client the user belongs to")
    token.add_argument(
        "--external",
        action="store_true",
        help="mark the user external (the `external` group): shared assets and their clients' only; "
        "implied by --client",
    )
    token.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="seconds")
    token.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR))

    reindex = commands.add_parser(
        "reindex",
        help="rebuild the search index from the assets table",
        description="Rebuilds search from the table. Locally it targets the running `dam local` (found through "
        "its data dir); with --aws it uses the environment (DAM_ASSETS_TABLE, DAM_SEARCH_ENGINE=opensearch, "
        "DAM_SEARCH_ENDPOINT, AWS credentials).",
    )
    reindex.add_argument("--data-dir", type=Path, default=Path(DEFAULT_DATA_DIR))
    reindex.add_argument("--aws", action="store_true", help="use the environment's AWS account, not the local stack")
    reindex.add_argument(
        "--clear", action="store_true", help="empty the index first (a plain run skips versions it already holds)"
    )
    doctor = commands.add_parser(
        "doctor",
        help="explain why image analysis fails on AWS (Bedrock model access, Marketplace, use-case form)",
        description="Calls each Bedrock model the pipeline uses once, with a tiny request and this shell's AWS "
        "credentials, and explains a refusal. Run it once after the first deploy as someone allowed to subscribe "
        "through AWS Marketplace: the first call subscribes the account.",
    )
    doctor.add_argument("--aws", action="store_true", help="check the AWS account (the only check so far)")
    doctor.add_argument("--region", help="the stack's region (default: AWS_REGION / the profile's)")
    doctor.add_argument("--analysis-model-id", help="if deployed with -c analysis_model_id=…")
    return parser


def _doctor(args: argparse.Namespace) -> int:
    if not args.aws:
        print("dam doctor checks an AWS account: run `dam doctor --aws`", file=sys.stderr)
        return 2
    from dam_local.doctor import doctor

    models = {"analysis_model_id": args.analysis_model_id} if args.analysis_model_id else {}
    return doctor(region=args.region, **models)


def _token(args: argparse.Namespace) -> int:
    key = signing_key(args.data_dir)
    print(
        issue_token(
            key,
            user=args.user,
            workspace=args.workspace,
            role=args.role,
            clients=args.client,
            external=args.external or bool(args.client),
            ttl_seconds=args.ttl,
        )
    )
    return 0


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _local(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s  %(message)s")
    # moto's per-request lines and Step Functions branch workers, credential notices
    for noisy in ("werkzeug", "botocore", "pynamodb", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Ctrl-C and SIGTERM both stop cleanly, even when started in the background (where SIGINT is ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)

    from dam_local.demo import WORKSPACE
    from dam_local.stack import LocalStack

    stack = LocalStack(host=args.host, port=args.port, moto_port=args.moto_port, data_dir=args.data_dir)
    try:
        stack.start()
    except OSError as error:
        print(f"dam local: could not start: {error}", file=sys.stderr)
        return 1
    try:
        data_dir_arg = (
            "" if str(args.data_dir) == DEFAULT_DATA_DIR else f" --data-dir {shlex.quote(str(args.data_dir))}"
        )
        print(
            f"\nDAM local stack ready in {stack.startup_seconds:.1f} s\n"
            f"  API            {stack.api_url}\n"
            f"  AWS endpoint   {stack.moto_url}   (moto: S3, DynamoDB, SQS, Step Functions)\n"
            f"  data dir       {args.data_dir}\n\n"
            "Try it:\n"
            f"  export TOKEN=$(dam token --user maya --workspace {WORKSPACE} --role editor{data_dir_arg})\n"
            f'  curl -s -H "Authorization: Bearer $TOKEN" {stack.api_url}/assets\n\n'
            "Ctrl-C stops it.\n",
            flush=True,
        )
        if args.demo:
            from dam_local import demo

            try:
                ids = demo.seed(stack.api_url, stack.token)
                print(f"Seeded {len(ids)} demo assets into workspace {WORKSPACE!r}.", flush=True)
            except Exception:
                logging.getLogger("dam_local.demo").exception("seeding the demo failed; the stack keeps running")
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stack.stop()
    # All stopped and flushed: skip the interpreter's teardown of moto, botocore & co. (~0.6 s of a Ctrl-C).
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "token":
        return _token(args)
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "reindex":
        from dam_local.reindex import reindex

        return reindex(args.data_dir, use_aws=args.aws, clear=args.clear)
    return _local(args)
