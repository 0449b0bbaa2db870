"""Real `ipoc` processes for the tests that need more than the in-process app: a server on a loopback port,
a job worker, a CLI command, each in its own process group so that a test can kill it as a crash would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from ipoc.config import Settings

IPOC = str(Path(sys.executable).parent / "ipoc")


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a child process the same instance as ``settings``."""
    return {
        **os.environ,
        "IPOC_DATA_DIR": str(settings.data_dir),
        "IPOC_DATABASE_URL": settings.sqlalchemy_url,
        "IPOC_SECRET_KEY": settings.resolved_secret_key,
        "IPOC_PASSWORD_HASH_TIME_COST": str(settings.password_hash_time_cost),
        "IPOC_PASSWORD_HASH_MEMORY_KIB": str(settings.password_hash_memory_kib),
        **extra,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Process:
    """A child `ipoc` command with its output in a log file under the instance's data dir."""

    def __init__(self, settings: Settings, *args: str, name: str, env: dict[str, str] | None = None) -> None:
        self.log = Path(settings.data_dir) / f"{name}.log"
        self._out = self.log.open("ab")
        self.popen = subprocess.Popen(
            [IPOC, *args], env=env or env_for(settings), stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip

    def kill_hard(self) -> None:
        """SIGKILL the whole process group, as a power cut or the OOM killer would."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=30)
        self._out.close()

    def stop(self, timeout: float = 30) -> int:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill_hard()
            raise
        self._out.close()
        return code

    def output(self) -> str:
        return self.log.read_text(errors="replace")


class Server(Process):
    """`ipoc serve` on a free loopback port, healthy before the constructor returns."""

    def __init__(self, settings: Settings, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        super().__init__(settings, "serve", "--port", str(self.port), *args, name=f"serve-{self.port}", env=env)
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_healthy()

    def _wait_healthy(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"server exited: {self.output()[-3000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        raise RuntimeError(f"server not healthy after {timeout} s: {self.output()[-3000:]}")


def ipoc(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [IPOC, *args], env=env_for(settings), capture_output=True, text=True, timeout=timeout, check=False
    )
