"""One execution environment of a Lambda function in its own process: `python -m dam_local.worker REF FD PID`.

It imports the handler once (its cold start, with the environment the stack set, so it reaches moto over
HTTP like the in-process handlers) and then runs one event at a time, as a warm Lambda container does. It
talks to the stack (process PID) over the connection on file descriptor FD: it sends `("ready",)` once the handler is
imported, then for each `(event, context)` it receives `("ok", result)` or `("error", type, message)`; `None`
(or the stack's end closing, or the stack dying) ends it.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from multiprocessing.connection import Connection


def _die_with_parent(parent: int) -> None:
    """End this process as soon as the stack's has ended, however it ended (a hard kill leaves no orphan,
    even while an event runs). Not PR_SET_PDEATHSIG: that fires when the parent's *thread* that started us ends."""
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def serve(reference: str, connection: Connection) -> None:
    from dam_local.aws_calls import install_from_environment, running
    from dam_local.lambdas import load_handler

    install_from_environment()  # `make aws-calls`: before the handler makes its clients

    handler = load_handler(reference)
    connection.send(("ready",))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return
        if message is None:
            return
        event, context = message
        try:
            with running(reference):
                reply: tuple[object, ...] = ("ok", handler(event, context))
        except Exception as error:
            reply = ("error", type(error).__name__, str(error))
        try:
            connection.send(reply)
        except (EOFError, OSError):
            return
        except Exception as error:  # a result that doesn't pickle
            connection.send(("error", type(error).__name__, str(error)))


def main(argv: list[str]) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the stack stops us
    reference, fd, parent = argv
    if os.getppid() != int(parent):  # it ended while we started
        return
    threading.Thread(target=_die_with_parent, args=(int(parent),), name="watch-parent", daemon=True).start()
    serve(reference, Connection(int(fd)))


if __name__ == "__main__":
    main(sys.argv[1:])
