"""Throwaway ``influxd`` and ``mosquitto`` processes on free loopback ports, each in its own folder.

Tests, benchmarks and the demo use these to talk to real servers without touching any system
service. The binaries come from Debian's ``influxdb`` and ``mosquitto`` packages (``make test``
installs them); when one is missing this says so instead of pretending.
"""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

from smkit.errors import SmkitError
from smkit.historian.escape import quote_ident, quote_string

_INFLUX_CONFIG = """\
reporting-disabled = true
bind-address = "127.0.0.1:{rpc_port}"
[meta]
  dir = "{root}/meta"
[data]
  dir = "{root}/data"
  wal-dir = "{root}/wal"
  query-log-enabled = false
[http]
  bind-address = "127.0.0.1:{port}"
  log-enabled = false
  max-body-size = {max_body_size}
  auth-enabled = {auth}
[monitor]
  store-enabled = false
[continuous_queries]
  enabled = false
"""

_MOSQUITTO_CONFIG = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {root}/
autosave_interval 1
max_queued_messages 0
user root
log_dest file {root}/mosquitto.log
"""


def listening(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0):
            return True
    except OSError:
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def require_binary(name: str, package: str) -> str:
    """The path of a server binary, or an error that says how to get it."""
    path = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin:/sbin")
    if path is None:
        raise SmkitError(
            f"{name} is not installed: apt-get install {package} (make test does this)"
        )
    return path


class _LocalServer:
    """A server process owned by the caller; restartable on the same port and data folder."""

    name = "server"

    def __init__(self, root: Path, port: int | None = None) -> None:
        self.root = Path(root)
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> None:
        """Start the process and wait until it answers."""
        self.root.mkdir(parents=True, exist_ok=True)
        log = (self.root / f"{self.name}.out").open("ab")
        self.process = subprocess.Popen(self._command(), stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + timeout_s
        while not self._ready():
            if self.process.poll() is not None:
                raise SmkitError(
                    f"{self.name} exited at start (code {self.process.returncode}); see {self.root}"
                )
            if time.monotonic() > deadline:
                self.stop()
                raise SmkitError(
                    f"{self.name} did not answer within {timeout_s:.0f} s; see {self.root}"
                )
            time.sleep(0.05)

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None

    def __enter__(self) -> _LocalServer:
        self.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _ready(self) -> bool:
        raise NotImplementedError


class LocalInflux(_LocalServer):
    """A private ``influxd`` (1.x from Debian) with its data under ``root``."""

    name = "influxd"

    def __init__(
        self,
        root: Path,
        port: int | None = None,
        max_body_size: int = 25_000_000,
        admin: tuple[str, str] | None = None,
    ) -> None:
        super().__init__(root, port)
        self.rpc_port = free_port()
        self.max_body_size = max_body_size
        self.admin = admin

    def start(self, timeout_s: float = 30.0) -> None:
        """Start; with ``admin`` set, authentication is on and that admin user exists."""
        first_start = not (self.root / "meta").exists()
        super().start(timeout_s)
        if self.admin is not None and first_start:
            user, password = self.admin
            statement = (
                f"CREATE USER {quote_ident(user)} WITH PASSWORD {quote_string(password)} "
                "WITH ALL PRIVILEGES"
            )
            try:
                httpx.post(f"{self.url}/query", data={"q": statement}).raise_for_status()
            except httpx.HTTPError as exc:
                self.stop()
                raise SmkitError(f"influxd: cannot create the admin user: {exc}") from exc

    @property
    def url(self) -> str:
        """Base URL of its HTTP API."""
        return f"http://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        config = self.root / "influxdb.conf"
        text = _INFLUX_CONFIG.format(
            root=self.root,
            port=self.port,
            rpc_port=self.rpc_port,
            max_body_size=self.max_body_size,
            auth="true" if self.admin else "false",
        )
        config.write_text(text)
        return [require_binary("influxd", "influxdb"), "-config", str(config)]

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/ping", timeout=1.0).status_code == 204
        except httpx.TransportError:
            return False


class LocalMosquitto(_LocalServer):
    """A private ``mosquitto`` broker with persistence under ``root``.

    ``users`` (name: password) turns anonymous access off; ``tls`` (certificate and key files)
    makes the listener speak TLS (``mqtts://``).
    """

    name = "mosquitto"
    protocol = "5"

    def __init__(
        self,
        root: Path,
        port: int | None = None,
        *,
        users: dict[str, str] | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        super().__init__(root, port)
        self.users = users
        self.tls = tls

    @property
    def url(self) -> str:
        """The broker URL for plant.yaml."""
        return f"{'mqtts' if self.tls else 'mqtt'}://127.0.0.1:{self.port}"

    def set_users(self, users: dict[str, str]) -> None:
        """Replace the password file; a running broker reloads it (SIGHUP)."""
        self.users = users
        self._write_passwords()
        if self.process is not None:
            self.process.send_signal(signal.SIGHUP)

    def _command(self) -> list[str]:
        config = self.root / "mosquitto.conf"
        text = _MOSQUITTO_CONFIG.format(root=self.root, port=self.port)
        if self.users is not None:
            self._write_passwords()
            text = text.replace("allow_anonymous true", "allow_anonymous false")
            text += f"password_file {self.root}/passwords\n"
        if self.tls is not None:
            text += f"certfile {self.tls[0]}\nkeyfile {self.tls[1]}\n"
        config.write_text(text)
        return [require_binary("mosquitto", "mosquitto"), "-c", str(config)]

    def _write_passwords(self) -> None:
        tool = require_binary("mosquitto_passwd", "mosquitto")
        path = self.root / "passwords"
        path.write_text("")
        for user, password in (self.users or {}).items():
            subprocess.run([tool, "-b", str(path), user, password], check=True)

    def _ready(self) -> bool:
        return listening(self.port)


_AMQTT_CONFIG = """\
listeners:
  default:
    type: tcp
    bind: 127.0.0.1:{port}
plugins:
  amqtt.plugins.authentication.AnonymousAuthPlugin:
    allow_anonymous: true
"""


class LocalAmqtt(_LocalServer):
    """A private amqtt broker (pure Python, MQTT 3.1.1 only), for machines without Mosquitto."""

    name = "amqtt"
    protocol = "3.1.1"

    @property
    def url(self) -> str:
        """The broker URL for plant.yaml."""
        return f"mqtt://127.0.0.1:{self.port}"

    def _command(self) -> list[str]:
        config = self.root / "amqtt.yaml"
        config.write_text(_AMQTT_CONFIG.format(port=self.port))
        return [sys.executable, "-c", "from amqtt.scripts.broker_script import main; main()",
                "-c", str(config)]  # fmt: skip

    def _ready(self) -> bool:
        return listening(self.port)


def local_broker(root: Path) -> LocalMosquitto | LocalAmqtt:
    """Mosquitto when it is installed, else the embedded amqtt broker (MQTT 3.1.1)."""
    found = shutil.which("mosquitto") or shutil.which("mosquitto", path="/usr/sbin:/usr/bin:/sbin")
    return LocalMosquitto(root) if found else LocalAmqtt(root)
