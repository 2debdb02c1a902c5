"""The local runtime: the whole backend on 127.0.0.1, offline, in one process. Never shipped to Lambda."""
