"""The servers, the apps each one serves, and how to start and stop them.

Every server runs as its own process group on ``127.0.0.1`` with a free
port, under coreutils ``timeout`` so that nothing outlives a crashed run,
and is stopped (SIGTERM, then SIGKILL) as soon as its cases are done.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib.metadata
import importlib.util
import ipaddress
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
#: Seconds a server may take to accept connections.
STARTUP = 30.0
#: Seconds any one server process may live, whatever happens to the run.
LIFETIME = 300

H1, H2C, H2 = "HTTP/1.1", "h2c", "h2 (TLS)"

#: The app each example is served as (see tests/servers/apps.py).
APPS = {
    "login_wsgi": "tests.servers.apps:login_wsgi",
    "login_flask": "tests.servers.apps:login_flask",
    "settings_starlette": "tests.servers.apps:settings_starlette",
}
WSGI_APPS = ("login_wsgi", "login_flask")
ASGI_APPS = ("settings_starlette",)


@dataclass(frozen=True)
class Ports:
    """Where one server process listens."""

    plain: int
    tls: int | None = None


@dataclass(frozen=True)
class TLS:
    """A throwaway certificate for 127.0.0.1 and the CA that signed it."""

    cert: Path
    key: Path
    ca: Path

    def client_context(self) -> ssl.SSLContext:
        """An SSL context that trusts only this CA."""
        return ssl.create_default_context(cafile=str(self.ca))


Command = Callable[[str, Ports, "TLS | None"], list[str]]


@dataclass(frozen=True)
class Server:
    """One server and the way to run an app on it."""

    name: str
    interface: str  # "WSGI" or "ASGI"
    package: str  # the distribution, for its version and whether it is here
    command: Command
    protocols: tuple[str, ...] = (H1,)
    #: What to do when the package is missing (bjoern builds from source).
    missing_hint: str = ""
    #: Checks this server fails for a reason flashmw cannot fix, by check
    #: name (or "check protocol" for one protocol only): the upstream
    #: issue, as the strict xfail's reason.
    known: dict[str, str] = field(default_factory=dict)

    @property
    def apps(self) -> tuple[str, ...]:
        return WSGI_APPS if self.interface == "WSGI" else ASGI_APPS

    @property
    def needs_tls(self) -> bool:
        return H2 in self.protocols

    def version(self) -> str | None:
        """The installed version, or ``None`` when the server is not here."""
        if importlib.util.find_spec(self.package) is None:
            return None
        try:
            return importlib.metadata.version(self.package)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    def missing(self) -> str | None:
        """Why this server cannot run here, or ``None``."""
        if self.version() is not None:
            return None
        hint = self.missing_hint or f"pip install {self.package}"
        return f"{self.package} is not installed: {hint}"


def _py(*args: str) -> list[str]:
    return [sys.executable, *args]


def _waitress(app: str, ports: Ports, tls: TLS | None) -> list[str]:
    return _py("-m", "waitress", f"--listen={HOST}:{ports.plain}", "--threads=4", app)


def _gunicorn(*extra: str) -> Command:
    def command(app: str, ports: Ports, tls: TLS | None) -> list[str]:
        bind = f"{HOST}:{ports.plain}"
        return _py("-m", "gunicorn", "-b", bind, "-w", "1", *extra, app)

    return command


def _bjoern(app: str, ports: Ports, tls: TLS | None) -> list[str]:
    return _py("-m", "tests.servers.run_bjoern", app, HOST, str(ports.plain))


def _granian(interface: str) -> Command:
    def command(app: str, ports: Ports, tls: TLS | None) -> list[str]:
        return _py(
            "-m",
            "granian",
            "--interface",
            interface,
            "--host",
            HOST,
            "--port",
            str(ports.plain),
            "--workers",
            "1",
            *(["--blocking-threads", "4"] if interface == "wsgi" else []),
            "--no-ws",
            app,
        )

    return command


def _hypercorn(mode: str) -> Command:
    def command(app: str, ports: Ports, tls: TLS | None) -> list[str]:
        assert tls is not None
        assert ports.tls is not None
        return _py(
            "-m",
            "hypercorn",
            "--bind",
            f"{HOST}:{ports.tls}",
            "--certfile",
            str(tls.cert),
            "--keyfile",
            str(tls.key),
            "--insecure-bind",
            f"{HOST}:{ports.plain}",
            f"{mode}:{app}",
        )

    return command


def _uvicorn(app: str, ports: Ports, tls: TLS | None) -> list[str]:
    return _py("-m", "uvicorn", "--host", HOST, "--port", str(ports.plain), app)


def _daphne(app: str, ports: Ports, tls: TLS | None) -> list[str]:
    return _py("-m", "daphne", "-b", HOST, "-p", str(ports.plain), app)


HYPERCORN_HEAD = (
    "hypercorn's WSGI wrapper sends no response start for an empty body, "
    "so HEAD (and any empty WSGI body) is a 500 even without flashmw: "
    "pgjones/hypercorn#331"
)
GRANIAN_LATIN1 = (
    "granian's WSGI server drops a whole request header whose value is not "
    "UTF-8, so the flash cookie next to it never reaches the app: "
    "emmett-framework/granian#335 (wontfix)"
)
GRANIAN_H2_HEAD = (
    "granian sends the ASGI app's body in DATA frames on an HTTP/2 HEAD "
    "(HTTP/1.1 strips it), a protocol error for the client; a bare ASGI app "
    "without flashmw does the same (not found in granian's tracker: to report)"
)

SERVERS = (
    Server("waitress", "WSGI", "waitress", _waitress),
    Server("gunicorn sync", "WSGI", "gunicorn", _gunicorn()),
    Server(
        "gunicorn gthread",
        "WSGI",
        "gunicorn",
        _gunicorn("-k", "gthread", "--threads", "4"),
    ),
    Server(
        "bjoern",
        "WSGI",
        "bjoern",
        _bjoern,
        missing_hint=(
            "it builds from source and needs libev "
            "(apt-get install libev-dev, then pip install bjoern)"
        ),
    ),
    Server(
        "granian",
        "WSGI",
        "granian",
        _granian("wsgi"),
        protocols=(H1, H2C),
        known={"latin1-cookie": GRANIAN_LATIN1},
    ),
    Server(
        "hypercorn",
        "WSGI",
        "hypercorn",
        _hypercorn("wsgi"),
        protocols=(H1, H2C, H2),
        known={"head": HYPERCORN_HEAD},
    ),
    Server(
        "granian",
        "ASGI",
        "granian",
        _granian("asgi"),
        protocols=(H1, H2C),
        known={f"head {H2C}": GRANIAN_H2_HEAD},
    ),
    Server("uvicorn", "ASGI", "uvicorn", _uvicorn),
    Server(
        "hypercorn", "ASGI", "hypercorn", _hypercorn("asgi"), protocols=(H1, H2C, H2)
    ),
    Server("daphne", "ASGI", "daphne", _daphne),
)


@dataclass(frozen=True)
class Case:
    """One app on one server, spoken to in one protocol."""

    server: Server
    app: str
    protocol: str

    def known(self, check: str) -> str | None:
        """Why this case is expected to fail ``check``, or ``None``."""
        known = self.server.known
        return known.get(f"{check} {self.protocol}") or known.get(check)

    @property
    def id(self) -> str:
        name = self.server.name.replace(" ", "-")
        protocol = {H1: "h1", H2C: "h2c", H2: "h2"}[self.protocol]
        return f"{name}-{self.server.interface.lower()}-{self.app}-{protocol}"


def cases() -> list[Case]:
    """Every (server, app, protocol), grouped so each process starts once."""
    return [
        Case(server, app, protocol)
        for server in SERVERS
        for app in server.apps
        for protocol in server.protocols
    ]


def free_port() -> int:
    """A port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def make_tls(directory: Path) -> TLS:
    """Write a CA and a certificate for 127.0.0.1 it signed; return their paths."""
    # Imported here: only the TLS cases need cryptography.
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    lifetime = datetime.timedelta(days=1)

    def name(common: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = name("flashmw test CA")
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name(HOST))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + lifetime)
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(HOST))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = TLS(directory / "cert.pem", directory / "key.pem", directory / "ca.pem")
    paths.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@dataclass
class Running:
    """A started server process and where it listens."""

    server: Server
    app: str
    ports: Ports
    process: subprocess.Popen[bytes]
    log: IO[bytes]
    tls: TLS | None

    def url(self, protocol: str) -> str:
        if protocol == H2:
            return f"https://{HOST}:{self.ports.tls}"
        return f"http://{HOST}:{self.ports.plain}"

    def output(self) -> str:
        """What the server printed so far."""
        self.log.flush()
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")

    def stop(self) -> None:
        """Stop the process group this server runs in, and wait for it."""
        if self.process.poll() is None:
            # start_new_session: the group id is the process id, and holds
            # only this server and the workers it forked.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.log.close()


def _wait_until_listening(running: Running, port: int, deadline: float) -> None:
    while True:
        if running.process.poll() is not None:
            raise RuntimeError(
                f"{running.server.name} exited with {running.process.returncode}:\n"
                + running.output()
            )
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{running.server.name} did not listen on {port} in {STARTUP}s:\n"
                    + running.output()
                ) from None
            time.sleep(0.05)


def start(server: Server, app: str, tls: TLS | None) -> Running:
    """Start ``app`` on ``server`` and return once it accepts connections."""
    ports = Ports(free_port(), free_port() if server.needs_tls else None)
    argv = server.command(APPS[app], ports, tls)
    timeout = shutil.which("timeout")
    if timeout is not None:
        argv = [timeout, "-k", "5", str(LIFETIME), *argv]
    # A file, so a chatty server never blocks; Running.stop() closes it.
    log = tempfile.TemporaryFile()  # noqa: SIM115
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(ROOT)}
    # Our own fixed command line, nothing from outside the test.
    process = subprocess.Popen(  # noqa: S603
        argv,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )
    running = Running(server, app, ports, process, log, tls)
    try:
        deadline = time.monotonic() + STARTUP
        for port in (ports.plain, ports.tls):
            if port is not None:
                _wait_until_listening(running, port, deadline)
    except BaseException:
        running.stop()
        raise
    return running


class Launcher:
    """Keeps at most one server running: the one the current case needs."""

    def __init__(self, tls: Callable[[], TLS]) -> None:
        self._tls = tls
        self._running: Running | None = None
        # A server that would not start fails its other cases at once.
        self._failed: dict[tuple[str, str, str], str] = {}

    def get(self, server: Server, app: str) -> Running:
        running = self._running
        if (
            running is not None
            and running.server is server
            and running.app == app
            and running.process.poll() is None
        ):
            return running
        self.stop()
        key = (server.name, server.interface, app)
        if key in self._failed:
            raise RuntimeError(self._failed[key])
        tls = self._tls() if server.needs_tls else None
        try:
            self._running = start(server, app, tls)
        except RuntimeError as exc:
            self._failed[key] = str(exc)
            raise
        return self._running

    def stop(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            running.stop()


@contextlib.contextmanager
def launcher(tls: Callable[[], TLS]) -> Iterator[Launcher]:
    """A :class:`Launcher` whose last server is stopped on exit."""
    started = Launcher(tls)
    try:
        yield started
    finally:
        started.stop()
