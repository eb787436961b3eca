"""The engine's protocol against hostile lines: each bad line gets exactly one error reply and the engine
goes on serving (the dock's engine must not die of one bad line)."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time

import pytest
from cli_helpers import ROOT

from sam_core.service import protocol

#: (line sent, id the error reply carries, words of the error)
BAD_LINES = [
    (b"\xff\xfe\x00binary garbage", None, "unreadable request"),
    (b"{not json", None, "unreadable request"),
    (b"[1, 2, 3]", None, "not an array"),
    (b"42", None, "not a number"),
    (b"null", None, "not null"),
    (b'"state"', None, "not a string"),
    (b"[" * 100_000 + b"]" * 100_000, None, "nested too deeply"),
    (b'{"id": {"$b64": "AAAA"}, "method": "state"}', None, "not bytes"),
    (b'{"id": [1], "method": "state"}', None, "not an array"),
    (b'{"id": {"a": 1}, "method": "state"}', None, "not an object"),
    (b'{"id": true, "method": "state"}', None, "not a boolean"),
    (b'{"method": "state"}', None, "not null"),
    (b'{"cancel": [7]}', None, "a cancel names"),
    (b'{"id": 10, "method": ["state"]}', 10, "method is a string"),
    (b'{"id": 11, "method": "state", "params": [1]}', 11, "params are a JSON object, not an array"),
    (b'{"id": "s", "method": "state", "params": "x"}', "s", "not a string"),
    (b'{"id": 12, "method": "state", "params": {"nope": 1}}', 12, "wrong parameters for state"),
    (b'{"id": 13, "method": "add_point", "params": {"x": 1}}', 13, "wrong parameters for add_point"),
    (b'{"id": 14, "method": "encode", "params": {"progress": 1}}', 14, "the engine supplies them"),
    (b'{"id": 15, "method": "no_such_method"}', 15, "no method"),
]


class _Server:
    """``python -m sam_core serve`` as the plugin starts it, with its replies read in a thread."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sam_core", "serve"],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.replies: queue.Queue = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.replies.put(json.loads(line))

    def send(self, line: bytes) -> None:
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()

    def reply(self, timeout: float = 10.0) -> dict:
        return self.replies.get(timeout=timeout)


@pytest.fixture(scope="module")
def server():
    served = _Server()
    assert "hello" in served.reply(timeout=60)
    yield served
    served.proc.stdin.close()
    served.proc.wait(10)
    served.proc.stdout.close()


@pytest.mark.parametrize(("line", "rid", "words"), BAD_LINES, ids=lambda v: repr(v)[:40])
def test_a_bad_line_gets_one_error_reply_and_the_engine_serves_on(server, line, rid, words):
    start = time.monotonic()
    server.send(line)
    reply = server.reply()
    assert reply["id"] == rid and words in reply["error"], reply
    assert set(reply) <= {"id", "error"}  # a caller's mistake, not an engine bug
    server.send(b'{"id": "after", "method": "state"}')
    assert server.reply() == {"id": "after", "result": {"points": [], "box": None, "preview": None}}
    assert server.replies.empty() and server.proc.poll() is None  # exactly one reply each, still running
    assert time.monotonic() - start < 10


def test_a_cancel_for_an_unknown_request_is_ignored_without_a_reply(server):
    server.send(b'{"cancel": 999}')
    server.send(b'{"id": "ping", "method": "state"}')
    assert server.reply()["id"] == "ping" and server.replies.empty()


def test_parse_request_is_the_one_check_and_fills_in_missing_params():
    assert protocol.parse_request(b'{"id": 1, "method": "state"}') == {
        "id": 1,
        "method": "state",
        "params": {},
    }
    assert protocol.parse_request(b'{"cancel": "a"}') == {"cancel": "a"}
    with pytest.raises(protocol.BadRequest) as caught:
        protocol.parse_request(b'{"id": 3, "method": "state", "params": [1]}')
    assert caught.value.rid == 3
