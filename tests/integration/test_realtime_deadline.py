"""Real-time calls answer within the profile's deadline: a clearinghouse that stalls (or
drips its answer) is cut off with DeadlineExceededError (the API's 504), retried at most
once and only within the budget."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from edigateway.clearinghouses import HttpsProfile
from edigateway.errors import DeadlineExceededError, TransferError
from edigateway.transports.https import CoreHttpClient


@pytest.fixture
def stalling() -> Iterator[tuple[str, list[float]]]:
    """A loopback server that accepts connections, reads the request and never answers;
    the times of its connections."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    connections: list[float] = []
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            connections.append(time.monotonic())
            held.append(conn)
            conn.recv(65536)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", connections
    stop.set()
    thread.join(2)
    for conn in held:
        conn.close()
    listener.close()


@pytest.mark.slow  # 1.8 s on the loaded 2-core machine
def test_a_stalled_clearinghouse_is_cut_off_at_the_deadline(stalling: tuple[str, list[float]]):
    url, connections = stalling
    profile = HttpsProfile(
        base_url=url, auth="none", timeout_seconds=30, realtime_deadline_seconds=1.5
    )
    client = CoreHttpClient(profile)
    started = time.monotonic()
    with pytest.raises(DeadlineExceededError, match=r"no answer within 1\.5 s"):
        client.realtime("ISA*...~", sender_id="S", receiver_id="R")
    took = time.monotonic() - started
    client.close()
    assert 1.4 <= took < 3.0
    assert len(connections) <= 2  # retried at most once


def test_the_default_deadline_is_20_seconds_with_one_retry():
    profile = HttpsProfile(base_url="http://127.0.0.1:9")
    assert profile.realtime_deadline_seconds == 20
    assert CoreHttpClient(profile).attempts == 2


def test_a_refused_connection_is_retried_once_within_the_budget():
    sleeps: list[float] = []
    client = CoreHttpClient(
        HttpsProfile(base_url="http://127.0.0.1:9", auth="none", realtime_deadline_seconds=5),
        sleep=sleeps.append,
    )
    with pytest.raises(TransferError, match="no answer after 2 attempts"):
        client.realtime("ISA*...~", sender_id="S", receiver_id="R")
    assert sleeps == [0.5]
