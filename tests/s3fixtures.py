"""Session fixture: a real moto S3 server on a free loopback port, for tests that speak S3.

Registered in ``tests/conftest.py`` through ``pytest_plugins``. The server is a separate process
(``moto_server``), so boto3 goes over real HTTP; it is stopped when the session ends.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_listening(port: int, proc: subprocess.Popen, timeout: float = 180.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited early with code {proc.returncode}")
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"moto_server did not listen on 127.0.0.1:{port} within {timeout} s")


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory) -> str:
    """Start ``moto_server`` on 127.0.0.1:<free port>; set the endpoint and dummy credentials in the env.

    Returns:
        The endpoint URL (also in ``MINSHENG_S3_ENDPOINT_URL``).
    """
    moto = Path(sys.executable).with_name("moto_server")
    port = _free_port()
    log = (tmp_path_factory.mktemp("s3") / "moto.log").open("wb")
    proc = subprocess.Popen([str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    saved = {k: os.environ.get(k) for k in ("MINSHENG_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                                           "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")}
    try:
        _wait_listening(port, proc)
        endpoint = f"http://127.0.0.1:{port}"
        os.environ["MINSHENG_S3_ENDPOINT_URL"] = endpoint
        os.environ.setdefault("AWS_ACCESS_KEY_ID", "minsheng-test")
        os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "minsheng-test-secret")
        os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
        yield endpoint
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture(scope="session")
def s3_settings(settings, s3_endpoint):
    """The test settings with the S3 endpoint pointing at the session's moto server."""
    import dataclasses

    return dataclasses.replace(settings, s3={**settings.s3, "endpoint_url": s3_endpoint})
