"""`dam local` runs the whole backend on 127.0.0.1; `dam token` prints a bearer token it accepts; `dam upload`
sends files, folders or ZIPs to it (or to a deployment); `dam doctor --aws` explains why analysis fails on AWS;
`dam admin` invites users into a deployed stack's user pool; `dam smoke` checks a stack end to end."""

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
from typing import TYPE_CHECKING

from dam_local import admin
from dam_local.home import dam_command, data_dir_or_default, default_home
from dam_local.tokens import DEFAULT_TTL_SECONDS, ROLES, issue_token, signing_key

if TYPE_CHECKING:
    from dam_local.stack import LocalStack

DATA_DIR_HELP = "where the signing key and the local data live (default: $DAM_HOME, else <repo>/.dam)"


def _data_dir_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data-dir", type=Path, default=None, help=DATA_DIR_HELP)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dam", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    local = commands.add_parser(
        "local",
        help="run the API, storage and pipeline on 127.0.0.1",
        description="Runs the whole backend on this machine. Data is kept in the data dir across restarts.",
    )
    local.add_argument("--host", default="127.0.0.1", help="address the API and the AWS endpoint listen on")
    local.add_argument("--port", type=int, default=8000, help="API port (0: any free port)")
    local.add_argument("--moto-port", type=int, default=0, help="AWS endpoint port (0: any free port)")
    local.add_argument("--demo", action="store_true", help="seed demo assets through the API (once per data dir)")
    local.add_argument("--reset", action="store_true", help="delete the kept data first and start empty")
    _data_dir_option(local)

    token = commands.add_parser("token", help="print a bearer token the local stack accepts")
    token.add_argument("--user", required=True, help="the user id (the token's `sub`)")
    token.add_argument("--workspace", required=True, help="the workspace the user works in (e.g. studio)")
    token.add_argument("--role", required=True, choices=ROLES, help="the user's role; viewer means no group")
    token.add_argument("--client", action="append", default=[], help="a client the user belongs to (repeatable)")
    token.add_argument(
        "--external",
        action="store_true",
        help="mark the user external (the `external` group): shared assets and their clients' only; "
        "implied by --client",
    )
    token.add_argument("--ttl", type=int, default=DEFAULT_TTL_SECONDS, help="seconds until it expires")
    _data_dir_option(token)

    reindex = commands.add_parser(
        "reindex",
        help="rebuild the search index from the assets table",
        description="Rebuilds search from the table. Locally it targets the running `dam local` (found through "
        "its data dir); with --aws it uses the environment (DAM_ASSETS_TABLE, DAM_SEARCH_ENGINE=opensearch, "
        "DAM_SEARCH_ENDPOINT, AWS credentials).",
    )
    _data_dir_option(reindex)
    reindex.add_argument("--aws", action="store_true", help="use the environment's AWS account, not the local stack")
    reindex.add_argument(
        "--clear", action="store_true", help="empty the index first (a plain run skips versions it already holds)"
    )
    _upload_parser(commands)
    admin.add_parser(commands)
    copy = commands.add_parser(
        "copy-table",
        help="copy a restored table's items back into the stack's table (see README, Restoring data)",
        description="A restore from a backup or to a point in time makes a new table; this copies its items into "
        "the table the stack uses (same keys; items with the same key are replaced, others kept).",
    )
    copy.add_argument("--source", required=True, help="the restored table")
    copy.add_argument("--target", required=True, help="the stack's table (e.g. the AssetsTableName output)")
    copy.add_argument("--region", help="the tables' region (default: AWS_REGION / the profile's)")
    smoke = commands.add_parser(
        "smoke",
        help="check a stack end to end: upload a JPEG, ready, found by search, delete, gone",
        description="Walks one real image through the stack over HTTP and prints a table of the steps; exits 1 "
        "if any failed. Without --api and --token it checks the running `dam local`.",
    )
    smoke.add_argument("--api", help="the API URL (the stack's ApiUrl output)")
    smoke.add_argument("--token", help="a bearer token (a Cognito ID token) of a user who may upload and delete")
    smoke.add_argument(
        "--timeout", type=float, default=120.0, help="seconds each waiting step (ready, search) may take"
    )
    _data_dir_option(smoke)
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


def _upload_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from dam_local.upload import ASSET_TYPES

    upload = commands.add_parser(
        "upload",
        help="upload files, folders (recursively) or ZIPs",
        description="Uploads files and folders (recursively; hidden files are left out), several at once, and "
        "waits until each is ready or failed. Interrupted, it resumes when run again: files already uploaded "
        "(known by their SHA-256) are skipped. Without --api it targets the running `dam local` of the data dir, "
        "as an editor. Exit status: 0 all ready or skipped, 1 some failed, 2 a usage error, 130 interrupted.",
    )
    upload.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="a file or a folder")
    upload.add_argument("--folder", help="put the assets in this folder (its id or its exact name)")
    upload.add_argument("--project", help="the project (id) the assets belong to")
    upload.add_argument("--type", choices=ASSET_TYPES, help="the asset type (default: from each file's format)")
    upload.add_argument("--zip", action="store_true", help="send ZIPs through bulk import (their images become assets)")
    upload.add_argument("--parallel", type=int, default=4, help="files uploaded at once (default 4)")
    upload.add_argument("--timeout", type=float, default=900, help="seconds to wait for processing (default 900)")
    upload.add_argument("--api", help="a deployed API's URL (default: the running `dam local`)")
    upload.add_argument("--token", default=os.environ.get("DAM_TOKEN"), help="bearer token (default: $DAM_TOKEN)")
    upload.add_argument("--user", default="cli", help="with the local stack and no token: the editor's user id")
    upload.add_argument("--workspace", default="studio", help="with the local stack and no token: the workspace")
    _data_dir_option(upload)


def _upload(args: argparse.Namespace) -> int:
    from dam_local.upload_http import Options, upload_command

    options = Options(
        folder_id=args.folder,
        project_id=args.project,
        asset_type=args.type,
        parallel=args.parallel,
        timeout_seconds=args.timeout,
    )
    return upload_command(
        args.paths,
        api_url=args.api,
        token=args.token,
        home=data_dir_or_default(args.data_dir),
        options=options,
        as_zip=args.zip,
        user=args.user,
        workspace=args.workspace,
    )


def _doctor(args: argparse.Namespace) -> int:
    if not args.aws:
        print("dam doctor checks an AWS account: run `dam doctor --aws`", file=sys.stderr)
        return 2
    from dam_local.doctor import doctor

    models = {"analysis_model_id": args.analysis_model_id} if args.analysis_model_id else {}
    return doctor(region=args.region, **models)


def _token(args: argparse.Namespace) -> int:
    key = signing_key(data_dir_or_default(args.data_dir))
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


def banner(
    api_url: str, moto_url: str, data_dir: Path, startup_seconds: float, demo_note: str = "", web_line: str = ""
) -> str:
    """What `dam local` prints once it is ready: every command in it works pasted anywhere, as is."""
    from dam_local.demo import WORKSPACE

    token = dam_command() + " token"
    suffix = "" if data_dir == default_home() else f" --data-dir {shlex.quote(str(data_dir))}"
    auth = '-H "Authorization: Bearer $TOKEN"'
    admin = '-H "Authorization: Bearer $ADMIN_TOKEN"'
    folder = '{"name": "Spring campaign"}'
    return (
        f"\nDAM local stack ready in {startup_seconds:.1f} s{demo_note}\n"
        f"  API            {api_url}\n"
        f"{web_line}"
        f"  AWS endpoint   {moto_url}   (moto: S3, DynamoDB, SQS, Step Functions)\n"
        f"  data dir       {data_dir}   (kept across restarts; --reset starts empty)\n\n"
        "Try it, from any terminal (an editor and an admin):\n"
        f"  export TOKEN=$({token} --user maya --workspace {WORKSPACE} --role editor{suffix})\n"
        f"  export ADMIN_TOKEN=$({token} --user ana --workspace {WORKSPACE} --role admin{suffix})\n"
        f"  curl -s {auth} {api_url}/assets\n"
        f"  curl -s {auth} '{api_url}/search?q=neon'\n"
        f"  curl -s {admin} -H 'Content-Type: application/json' -d '{folder}' {api_url}/folders\n"
        "\nCtrl-C stops it.\n"
    )


def _web_line(stack: LocalStack) -> str:
    """The web app's address, signed in as the demo editor (the token rides in the fragment: never sent)."""
    from dam_local.demo import WORKSPACE

    if stack.web_app() is None:
        return "  Web app        not built: run `make web` (needs node 20), then restart\n"
    return f"  Web app        {stack.api_url}/#token={stack.token('maya', WORKSPACE, 'editor')}\n"


DEMO_MARKER = "demo-seeded"


def _seed_demo(stack: LocalStack, data_dir: Path) -> str:
    """Seed once per data dir (the data is kept across restarts); the banner's note on the demo data."""
    from dam_local import demo

    marker = data_dir / DEMO_MARKER
    if marker.exists():
        return f" (demo data in workspace {demo.WORKSPACE!r} kept from an earlier run)"
    print("Seeding the demo assets through the API and waiting for the pipeline…", flush=True)
    try:
        ids = demo.seed(stack.api_url, stack.token)
    except Exception:
        logging.getLogger("dam_local.demo").exception("seeding the demo failed; the stack keeps running")
        return " (seeding the demo failed: see the log above)"
    marker.write_text("\n".join(ids) + "\n")
    return f" with {len(ids)} demo assets in workspace {demo.WORKSPACE!r}"


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _local(args: argparse.Namespace) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)-7s %(name)s  %(message)s")
    # moto's per-request lines and Step Functions branch workers, credential notices
    for noisy in ("werkzeug", "botocore", "pynamodb", "moto"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    if os.environ.get("DAM_LOCAL_TIMINGS"):  # per invocation: how long it waited for an environment, and ran
        logging.getLogger("dam_local.lambda").setLevel(logging.DEBUG)
    # Ctrl-C and SIGTERM both stop cleanly, even when started in the background (where SIGINT is ignored).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _raise_interrupt)

    from dam_local.diagnostics import dump_threads_on_signal
    from dam_local.stack import LocalStack

    data_dir = data_dir_or_default(args.data_dir)
    stack = LocalStack(host=args.host, port=args.port, moto_port=args.moto_port, data_dir=data_dir, reset=args.reset)
    # Before start(): its ready file tells a watcher it may signal, and SIGUSR1's default action is to exit.
    dump_threads_on_signal(lambda: [poller.status() for poller in stack.pollers()])
    try:
        stack.start()
    except OSError as error:
        print(f"dam local: could not start: {error}", file=sys.stderr)
        return 1
    try:
        demo_note = _seed_demo(stack, data_dir) if args.demo else ""
        web_line = _web_line(stack)
        print(banner(stack.api_url, stack.moto_url, data_dir, stack.startup_seconds, demo_note, web_line), flush=True)
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
    if args.command == "admin":
        return admin.run(args)
    if args.command == "copy-table":
        from dam_local.restore import run

        return run(args.source, args.target, args.region)
    if args.command == "smoke":
        from dam_local.smoke import smoke

        return smoke(data_dir_or_default(args.data_dir), api=args.api, token=args.token, timeout_seconds=args.timeout)
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "upload":
        return _upload(args)
    if args.command == "reindex":
        from dam_local.reindex import reindex

        return reindex(data_dir_or_default(args.data_dir), use_aws=args.aws, clear=args.clear)
    return _local(args)
