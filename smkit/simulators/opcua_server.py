"""The simulated machines as an OPC UA server (asyncua), with optional security and chaos.

Every value is written with its simulated instant as the source timestamp. Until a variable has
its first value its status is BadWaitingForInitialData, as on a controller that just booted.
While the server is down for a simulated restart, values keep coming: the server comes back
with the latest value of each variable, and the values it never showed are counted as missed.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import errno
import logging
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from asyncua import Server, ua
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.crypto.permission_rules import User, UserRole
from asyncua.crypto.truststore import TrustStore
from asyncua.crypto.validator import CertificateValidator, CertificateValidatorOptions
from cryptography.x509.oid import ExtendedKeyUsageOID

from smkit.errors import ConfigError
from smkit.plant.model import Plant
from smkit.simulators.chaos import ChaosLog
from smkit.simulators.opcua_history import HISTORY_VALUES, TimedHistory
from smkit.simulators.opcua_nodes import (
    VariableSpec,
    address_space,
    default_namespace,
    engineering_units,
)
from smkit.simulators.opcua_options import SECURITY_MODE_NAMES, OpcUaOptions
from smkit.simulators.signals import SignalValue

SECURITY_MODES = dict(
    zip(
        SECURITY_MODE_NAMES,
        (
            ua.SecurityPolicyType.NoSecurity,
            ua.SecurityPolicyType.Basic256Sha256_Sign,
            ua.SecurityPolicyType.Basic256Sha256_SignAndEncrypt,
        ),
        strict=True,
    )
)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
log = logging.getLogger(__name__)


def timestamp(ns: int) -> dt.datetime:
    """A simulated instant as an aware UTC datetime (exact: instants are whole milliseconds)."""
    return EPOCH + dt.timedelta(microseconds=ns // 1000)


class _Users:
    """Username/password accounts, and anonymous access when allowed."""

    def __init__(self, users: Mapping[str, str], anonymous: bool) -> None:
        self.users = users
        self.anonymous = anonymous

    def get_user(
        self,
        iserver: Any,
        username: str | None = None,
        password: Any = None,
        certificate: Any = None,
    ) -> User | None:
        if username is None:
            return User(role=UserRole.User) if self.anonymous else None
        given = password.decode() if isinstance(password, bytes) else password
        return (
            User(role=UserRole.User, name=username) if self.users.get(username) == given else None
        )


class SimulatedOpcUaServer:
    """One OPC UA server serving every machine of a plant."""

    def __init__(
        self, plant: Plant, scenario: str, options: OpcUaOptions, chaos_log: ChaosLog
    ) -> None:
        self.plant = plant
        self.scenario = scenario
        self.options = options
        self.chaos_log = chaos_log
        self.folders, self.variables = address_space(plant, scenario)
        self._specs = {(spec.machine, spec.signal): spec for spec in self.variables}
        self._history = TimedHistory()
        self._latest: dict[tuple[str, str], SignalValue] = {}
        self._node_ids: dict[tuple[str, str], ua.NodeId] = {}
        self._server: Server | None = None
        self._restarts = 0
        self._shift = False
        self._replayed: list[SignalValue] = []
        self._comeback: asyncio.Task[None] | None = None
        self.missed = 0

    @property
    def endpoint(self) -> str:
        """The URL clients connect to."""
        return self.options.endpoint

    async def start(self) -> None:
        """Build the address space and listen."""
        server = await self._build(extra_namespaces=self._restarts if self._shift else 0)
        try:
            await server.start()
        except OSError as exc:  # asyncua has stopped its internal server already
            raise _listen_error(self.options.endpoint, exc) from None
        self._server = server
        for key, value in self._latest.items():
            await self._write(self._node_ids[key], value)
            self._replayed.append(value)

    @property
    def is_up(self) -> bool:
        """Whether the server is listening."""
        return self._server is not None

    def take_replayed(self) -> list[SignalValue]:
        """The latest values written again when the server came back (once)."""
        replayed, self._replayed = self._replayed, []
        return replayed

    async def stop(self) -> None:
        """Stop listening (after a restart under way has finished); clients see the close."""
        if self._comeback is not None:
            await self._comeback
            self._comeback = None
        await self._stop_listening()

    async def settled(self) -> None:
        """Wait until a restart under way has finished."""
        if self._comeback is not None:
            await self._comeback

    async def _stop_listening(self) -> None:
        if self._server is not None:
            await self._server.stop()
            self._server = None

    async def publish(self, values: Sequence[SignalValue]) -> list[SignalValue]:
        """Show the values that change their variable; returns those (none while down).

        A controller's variable does not change when the same value is written again, and an
        OPC UA server reports changes only, so a repeated value is not served.
        """
        changed = []
        for value in values:
            key = (value.machine, value.signal)
            previous = self._latest.get(key)
            if previous is None or not _same(previous.value, value.value):
                changed.append(value)
                self._latest[key] = value
        if self._server is None:
            self.missed += len(changed)
            return []
        for value in changed:
            await self._write(self._node_ids[(value.machine, value.signal)], value)
        return changed

    async def drop_sessions(self, ts: int) -> None:
        """Cut every client connection; the server stays up."""
        server = self._server
        if server is None:
            self.chaos_log.record(ts, "opcua", "session_drop", skipped="server down")
            return
        transports = list(server.iserver.asyncio_transports)
        for transport in transports:
            transport.close()
        self.chaos_log.record(ts, "opcua", "session_drop", connections=len(transports))

    async def restart(self, ts: int, downtime_s: float, shift_namespace: bool) -> None:
        """Stop now; come back after ``downtime_s`` wall seconds (and its start-up time).

        The machines run on meanwhile: values due while the server is down are never shown,
        as with a controller that reboots, and the truth file counts them.
        """
        if self._server is None:
            self.chaos_log.record(ts, "opcua", "server_restart", skipped="server down")
            return
        self._shift = shift_namespace
        await self._stop_listening()
        entry = self.chaos_log.record(
            ts,
            "opcua",
            "server_restart",
            downtime_s=downtime_s,
            values_missed=0,
            namespace_shift=self._restarts + 1 if shift_namespace else 0,
        )
        self._comeback = asyncio.create_task(self._come_back(entry, downtime_s, self.missed))

    async def _come_back(
        self, entry: dict[str, Any], downtime_s: float, missed_before: int
    ) -> None:
        await asyncio.sleep(downtime_s)
        self._restarts += 1
        await self.start()
        entry["values_missed"] = self.missed - missed_before

    async def _build(self, extra_namespaces: int) -> Server:
        server = Server()
        await server.init()
        server.set_endpoint(self.options.endpoint)
        server.set_server_name(f"smkit simulator: {self.scenario}")
        await server.set_application_uri(f"{default_namespace(self.scenario)}:server")
        await self._secure(server)
        for index in range(extra_namespaces):
            await server.register_namespace(f"urn:smkit:sim:restart-{index + 1}")
        namespaces = {}
        for uri in [default_namespace(self.scenario), *(v.namespace_uri for v in self.variables)]:
            if uri not in namespaces:
                namespaces[uri] = await server.register_namespace(uri)
        await self._populate(server, namespaces)
        return server

    async def _populate(self, server: Server, namespaces: dict[str, int]) -> None:
        own = namespaces[default_namespace(self.scenario)]
        nodes: dict[tuple[str, ...], Any] = {(): server.nodes.objects}
        for folder in self.folders:
            parent = nodes[folder.path[:-1]]
            node_id = ua.NodeId("/".join(folder.path), own)
            name = ua.QualifiedName(folder.path[-1], own)
            node = await (parent.add_object if folder.is_machine else parent.add_folder)(
                node_id, name
            )
            await node.write_attribute(
                ua.AttributeIds.DisplayName,
                ua.DataValue(ua.Variant(ua.LocalizedText(folder.display_name))),
            )
            nodes[folder.path] = node
        machines = {
            folder.path[-1]: nodes[folder.path] for folder in self.folders if folder.is_machine
        }
        variables = []
        for spec in self.variables:
            node_id = spec.node_id(namespaces)
            self._node_ids[(spec.machine, spec.signal)] = node_id
            variables.append(await self._add_variable(machines[spec.machine], spec, node_id, own))
        # As a PLC or SCADA server with history does: a collector away for a while reads back
        # what changed meanwhile. Every value written is saved (see _write), not sampled by
        # asyncua's history subscription, which keeps one change per node per 10 ms and so
        # lost values at high speed-ups. Kept in memory by count: simulated time is not wall
        # time.
        self._history = TimedHistory()  # a restarted server starts with no history
        server.iserver.history_manager.set_storage(self._history)
        for variable in variables:
            await variable.write_attribute(ua.AttributeIds.Historizing, ua.DataValue(True))
            for access in (ua.AttributeIds.AccessLevel, ua.AttributeIds.UserAccessLevel):
                await variable.set_attr_bit(access, ua.AccessLevel.HistoryRead)
            await self._history.new_historized_node(variable.nodeid, None, HISTORY_VALUES)

    async def _add_variable(
        self, machine: Any, spec: VariableSpec, node_id: ua.NodeId, own: int
    ) -> Any:
        variable = await machine.add_variable(
            node_id,
            ua.QualifiedName(spec.signal, own),
            _initial(spec),
            varianttype=spec.variant_type,
        )
        await variable.write_value(
            ua.DataValue(
                ua.Variant(_initial(spec), spec.variant_type),
                StatusCode=ua.StatusCode(ua.StatusCodes.BadWaitingForInitialData),
            )
        )
        if spec.unit:
            await variable.add_property(
                ua.NodeId(f"{node_id.Identifier}.EngineeringUnits", node_id.NamespaceIndex)
                if isinstance(node_id.Identifier, str)
                else own,
                ua.QualifiedName("EngineeringUnits", 0),
                ua.Variant(engineering_units(spec.unit), ua.VariantType.ExtensionObject),
                datatype=ua.NodeId(ua.ObjectIds.EUInformation),
            )
        return variable

    async def _write(self, node_id: ua.NodeId, value: SignalValue) -> None:
        assert self._server is not None
        spec = self._specs[(value.machine, value.signal)]
        data_value = ua.DataValue(
            ua.Variant(value.value, spec.variant_type),
            SourceTimestamp=timestamp(value.ts),
            ServerTimestamp=dt.datetime.now(dt.UTC),
        )
        await self._server.write_attribute_value(node_id, data_value)
        await self._history.save_node_value(node_id, data_value)

    async def _secure(self, server: Server) -> None:
        options = self.options
        try:
            server.set_security_policy([SECURITY_MODES[mode] for mode in options.security])
        except KeyError as exc:
            raise ConfigError(
                f"--security: unknown mode {exc.args[0]!r} (allowed: {', '.join(SECURITY_MODES)})"
            ) from None
        tokens: list[type] = [ua.AnonymousIdentityToken] if options.anonymous else []
        if options.users:
            tokens.append(ua.UserNameIdentityToken)
        server.set_identity_tokens(tokens)
        server.iserver.set_user_manager(_Users(options.users, options.anonymous))
        if options.security != ("none",):
            await self._certificate(server)
        if options.trusted_clients is not None:
            store = TrustStore([options.trusted_clients], [])
            await store.load()
            server.set_certificate_validator(
                CertificateValidator(
                    CertificateValidatorOptions.TRUSTED_VALIDATION
                    | CertificateValidatorOptions.PEER_CLIENT,
                    store,
                )
            )

    async def _certificate(self, server: Server) -> None:
        """Load the server's certificate, generating a self-signed one on first use."""
        pki = self.options.pki_dir or Path("smkit-sim-pki")
        pki.mkdir(parents=True, exist_ok=True)
        key, cert = pki / "server-key.pem", pki / "server-cert.der"
        await setup_self_signed_certificate(
            key,
            cert,
            f"{default_namespace(self.scenario)}:server",
            socket.gethostname(),
            [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
            {"organizationName": "smkit simulator", "commonName": f"smkit {self.scenario}"},
        )
        await server.load_certificate(str(cert))
        await server.load_private_key(str(key))


def _same(old: object, new: object) -> bool:
    return type(old) is type(new) and old == new


def _initial(spec: VariableSpec) -> object:
    kinds = {ua.VariantType.Boolean: False, ua.VariantType.String: "", ua.VariantType.Double: 0.0}
    return kinds.get(spec.variant_type, 0)


def _listen_error(endpoint: str, exc: OSError) -> ConfigError:
    where = urlsplit(endpoint)
    reason = "the port is already in use" if exc.errno == errno.EADDRINUSE else exc.strerror
    return ConfigError(
        f"--endpoint: cannot serve OPC UA on {where.hostname}:{where.port}: {reason} "
        "(stop the other server or choose another port)"
    )
