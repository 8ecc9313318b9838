"""``smkit simulate opcua|mqtt|all``: serve a simulated factory live to collectors."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import os
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from smkit.cli.common import local_time
from smkit.errors import ConfigError
from smkit.plant.base import parse_duration_s
from smkit.plant.model import Plant
from smkit.simulators.catalog import find_scenario
from smkit.simulators.chaos import Chaos, load_chaos
from smkit.simulators.live import parse_speed
from smkit.simulators.mqtt_client import BrokerSettings
from smkit.simulators.mqtt_messages import FORMATS
from smkit.simulators.mqtt_publisher import MqttOptions
from smkit.simulators.opcua_options import SECURITY_MODE_NAMES, OpcUaOptions
from smkit.simulators.scenario import LoadedScenario

if TYPE_CHECKING:
    from smkit.simulators.serve import ServeOptions, ServeReport

PROTOCOLS = {"opcua": ("opcua",), "mqtt": ("mqtt",), "all": ("opcua", "mqtt")}

ScenarioOpt = Annotated[
    str,
    typer.Option("--scenario", "-s", help="A shipped scenario name or a scenario file."),
]
SpeedOpt = Annotated[
    str,
    typer.Option(help="Simulated seconds per wall second, or 'max'."),
]
SeedOpt = Annotated[
    int,
    typer.Option(help="Random seed: the same seed gives the same run."),
]
DurationOpt = Annotated[
    str,
    typer.Option(help="Simulated time to serve, e.g. 8h, 1d."),
]
TruthFileOpt = Annotated[
    Path | None,
    typer.Option("--truth", help="Write the ground truth and injected chaos (JSON) here."),
]
ValuesFileOpt = Annotated[
    Path | None,
    typer.Option("--values", help="Write every value served (JSON lines) here."),
]
ChaosFileOpt = Annotated[
    Path | None,
    typer.Option("--chaos", help="Inject the faults this chaos file configures."),
]
StartAfterOpt = Annotated[
    str | None,
    typer.Option(help="Listen this long before the simulated clock starts (collectors connect)."),
]
LingerOpt = Annotated[
    str | None,
    typer.Option(help="Keep serving the last values this long after the end."),
]
EndpointOpt = Annotated[
    str | None,
    typer.Option(
        help="OPC UA: the endpoint to listen on [default: the plant's OPC UA source, else opc.tcp://127.0.0.1:4840]."
    ),
]
SecurityOpt = Annotated[
    list[str] | None,
    typer.Option(help="OPC UA: none, sign or sign-encrypt (Basic256Sha256); repeat for several."),
]
NoAnonymousOpt = Annotated[
    bool,
    typer.Option("--no-anonymous", help="OPC UA: refuse anonymous clients."),
]
PkiDirOpt = Annotated[
    Path,
    typer.Option(help="OPC UA: where the server certificate is kept (made on first use)."),
]
TrustDirOpt = Annotated[
    Path | None,
    typer.Option(help="OPC UA: trust only client certificates in this folder."),
]
BrokerOpt = Annotated[
    str | None,
    typer.Option(
        help="MQTT: the broker URL [default: the plant's MQTT source, else mqtt://127.0.0.1:1883]."
    ),
]
FmtOpt = Annotated[
    str,
    typer.Option("--format", help=f"MQTT: {', '.join(FORMATS)}."),
]
QosOpt = Annotated[
    int,
    typer.Option(help="MQTT: QoS of data messages, 0 or 1."),
]
RetainOpt = Annotated[
    bool,
    typer.Option(help="MQTT: retain plain data messages."),
]
PrimaryHostOpt = Annotated[
    str | None,
    typer.Option(
        help="MQTT, Sparkplug: the edge nodes wait for this primary host's STATE to "
        "say online, and keep what they observe while it does not (MQTT 5)."
    ),
]
MqttProtocolOpt = Annotated[
    str,
    typer.Option("--mqtt-protocol", help='MQTT: "5", or "3.1.1" for brokers without MQTT 5.'),
]
UsernameOpt = Annotated[
    str | None,
    typer.Option(help="OPC UA user to accept / MQTT user to log in as."),
]
PasswordEnvOpt = Annotated[
    str | None,
    typer.Option(help="Environment variable holding the password."),
]
StartDayOpt = Annotated[
    str | None,
    typer.Option(
        "--start-day",
        help=(
            "Run the scenario from this day (today or YYYY-MM-DD) at its own start time, "
            "instead of its own date."
        ),
    ),
]


def serve_command(  # noqa: PLR0917 - typer maps each parameter to an option
    ctx: typer.Context,
    scenario: ScenarioOpt,
    speed: SpeedOpt = "1",
    seed: SeedOpt = 1,
    duration: DurationOpt = "8h",
    truth_file: TruthFileOpt = None,
    values_file: ValuesFileOpt = None,
    chaos_file: ChaosFileOpt = None,
    linger: LingerOpt = None,
    start_after: StartAfterOpt = None,
    endpoint: EndpointOpt = None,
    security: SecurityOpt = None,
    no_anonymous: NoAnonymousOpt = False,
    pki_dir: PkiDirOpt = Path("smkit-sim-pki"),
    trust_dir: TrustDirOpt = None,
    broker: BrokerOpt = None,
    fmt: FmtOpt = "json",
    qos: QosOpt = 1,
    retain: RetainOpt = False,
    mqtt_protocol: MqttProtocolOpt = "5",
    primary_host: PrimaryHostOpt = None,
    username: UsernameOpt = None,
    password_env: PasswordEnvOpt = None,
    start_day: StartDayOpt = None,
) -> None:
    """Serve a scenario live: values when due at --speed, with --truth and optional --chaos."""
    protocols = PROTOCOLS[ctx.info_name or "all"]
    loaded = find_scenario(scenario)
    if start_day is not None:
        loaded = loaded.starting_on(_day(start_day, loaded.plant.site.timezone))
    password = _password(username, password_env)
    opcua = None
    if "opcua" in protocols:
        opcua = OpcUaOptions(
            endpoint=endpoint or _source_url(loaded.plant, "opcua", "opc.tcp://127.0.0.1:4840"),
            security=_security(security or ["none"]),
            users={username: password} if username and password is not None else {},
            anonymous=not no_anonymous,
            pki_dir=pki_dir,
            trusted_clients=trust_dir,
        )
    mqtt = None
    if "mqtt" in protocols:
        mqtt = _mqtt_options(
            loaded,
            broker=broker,
            fmt=fmt,
            qos=qos,
            retain=retain,
            login=(username, password),
            protocol=mqtt_protocol,
            primary_host=primary_host,
        )
    # Imported here: asyncua takes half a second to import, and every smkit command would pay it.
    from smkit.simulators.serve import ServeOptions  # noqa: PLC0415

    options = ServeOptions(
        seed=seed,
        duration_s=_duration(duration, "--duration"),
        speed=_speed(speed),
        linger_s=_duration(linger, "--linger") if linger else 0.0,
        start_after_s=_duration(start_after, "--start-after") if start_after else 0.0,
        opcua=opcua,
        mqtt=mqtt,
        chaos=load_chaos(chaos_file) if chaos_file else Chaos(),
        truth_path=truth_file,
        values_path=values_file,
    )
    report = asyncio.run(_serve_until_stopped(loaded, options))
    _summary(loaded, report)


async def _serve_until_stopped(loaded: LoadedScenario, options: ServeOptions) -> ServeReport:
    """Serve; SIGINT or SIGTERM stops serving cleanly (the truth file is still written)."""
    # asyncua logs the errors it raises (with tracebacks); smkit reports those itself.
    logging.getLogger("asyncua").setLevel(logging.CRITICAL)
    reports: list[ServeReport] = []

    def ready(endpoints: dict[str, str]) -> None:
        speed = "as fast as possible" if options.speed == float("inf") else f"{options.speed:g}x"
        for name, where in endpoints.items():
            typer.echo(f"serving {loaded.scenario.name} over {name} at {where}, {speed}")

    from smkit.simulators.serve import serve  # noqa: PLC0415 - see serve_command

    task = asyncio.create_task(serve(loaded, options, ready, reports.append))
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, task.cancel)
    try:
        return await task
    except asyncio.CancelledError:
        typer.echo("stopped")
        return reports[0]


def _summary(loaded: LoadedScenario, report: ServeReport) -> None:
    until = local_time(report.served_until, loaded.plant.site.timezone)
    served = ", ".join(f"{count} values over {name}" for name, count in report.served.items())
    typer.echo(f"served {served or 'nothing'} up to {until}")
    for kind, count in sorted(report.chaos.counts().items()):
        typer.echo(f"chaos: {count} x {kind}")


def _mqtt_options(
    loaded: LoadedScenario,
    *,
    broker: str | None,
    fmt: str,
    qos: int,
    retain: bool,
    login: tuple[str | None, str | None],
    protocol: str,
    primary_host: str | None = None,
) -> MqttOptions:
    if fmt not in FORMATS:
        raise ConfigError(f"--format: must be one of {', '.join(FORMATS)}, got {fmt!r}")
    if qos not in (0, 1):
        raise ConfigError(f"--qos: must be 0 or 1, got {qos}")
    url = broker or _source_url(loaded.plant, "mqtt", "mqtt://127.0.0.1:1883")
    if protocol not in ("5", "3.1.1"):
        raise ConfigError(f'--mqtt-protocol: must be "5" or "3.1.1", got {protocol!r}')
    settings = BrokerSettings(url, *login, protocol=protocol)
    try:
        settings.host_port  # noqa: B018 - checks the URL now rather than at connect time
    except ValueError as exc:
        raise ConfigError(f"--broker: {exc}") from None
    if primary_host is not None and (fmt != "sparkplug" or protocol != "5"):
        raise ConfigError(
            "--primary-host: only with --format sparkplug over MQTT 5 (the edge "
            "nodes close their sessions with their wills while the host is away)"
        )
    return MqttOptions(settings, fmt, qos, retain, primary_host)


def _source_url(plant: Plant, kind: str, fallback: str) -> str:
    for source in plant.sources:
        if source.kind == "opcua" == kind:
            return source.endpoint
        if source.kind == "mqtt" == kind:
            return source.url
    return fallback


def _security(modes: list[str]) -> tuple[str, ...]:
    unknown = [mode for mode in modes if mode not in SECURITY_MODE_NAMES]
    if unknown:
        allowed = ", ".join(SECURITY_MODE_NAMES)
        raise ConfigError(f"--security: unknown mode {unknown[0]!r} (allowed: {allowed})")
    return tuple(modes)


def _day(text: str, timezone: str) -> dt.date:
    """``today`` (in the site's time zone) or a date YYYY-MM-DD."""
    if text == "today":
        return dt.datetime.now(ZoneInfo(timezone)).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--start-day {text!r}: give today or a date YYYY-MM-DD") from None


def _password(username: str | None, env: str | None) -> str | None:
    if env is None:
        return None
    if username is None:
        raise ConfigError("--password-env: give --username too")
    if env not in os.environ:
        raise ConfigError(f"--password-env: environment variable {env} is not set")
    return os.environ[env]


def _duration(text: str, option: str) -> float:
    try:
        return parse_duration_s(text)
    except ValueError as exc:
        raise ConfigError(f"{option}: {exc}") from None


def _speed(text: str) -> float:
    try:
        return parse_speed(text)
    except ValueError as exc:
        raise ConfigError(f"--speed: {exc}") from None
