"""Opening an asyncua client the way a source block asks, and saying plainly why it failed."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

from asyncua import Client, ua
from asyncua.crypto import security_policies as policies
from asyncua.crypto.cert_gen import setup_self_signed_certificate
from asyncua.ua.status_codes import get_name_and_doc
from cryptography.x509.oid import ExtendedKeyUsageOID

from smkit.plant.opcua import OpcUaSource, SecurityMode, SecurityPolicy

POLICIES = {
    SecurityPolicy.BASIC256SHA256: policies.SecurityPolicyBasic256Sha256,
    SecurityPolicy.AES128_SHA256_RSAOAEP: policies.SecurityPolicyAes128Sha256RsaOaep,
    SecurityPolicy.AES256_SHA256_RSAPSS: policies.SecurityPolicyAes256Sha256RsaPss,
}
MODES = {
    SecurityMode.SIGN: ua.MessageSecurityMode.Sign,
    SecurityMode.SIGN_AND_ENCRYPT: ua.MessageSecurityMode.SignAndEncrypt,
}
# Server_ServerCapabilities_OperationLimits_MaxNodesPerRead / _MaxMonitoredItemsPerCall
MAX_NODES_PER_READ = ua.NodeId(11705)
MAX_MONITORED_ITEMS_PER_CALL = ua.NodeId(11714)
FALLBACK_PER_CALL = 100


async def ensure_certificate(cert: Path, key: Path, application_uri: str) -> None:
    """Make a self-signed client certificate on first use (kept, so a server trusts it once)."""
    cert.parent.mkdir(parents=True, exist_ok=True)
    await setup_self_signed_certificate(
        key,
        cert,
        application_uri,
        socket.gethostname(),
        [ExtendedKeyUsageOID.CLIENT_AUTH],
        {"organizationName": "smkit collector", "commonName": f"smkit {socket.gethostname()}"},
    )


SESSION_TIMEOUT_PROBES = 6
"""The session timeout, in watchdog probes missed (6 x the 5 s request_timeout: 30 s)."""


async def open_client(source: OpcUaSource, password: str | None) -> Client:
    """A client set up with the source's security and identity, not yet connected."""
    # asyncua probes the server every watchdog interval and drops the session when a probe
    # takes longer than it (1 s by default): a server busy with a large history read, or a
    # loaded PLC, then loses its session again and again. The source's request_timeout is the
    # patience the plant configured for every other request.
    client = Client(source.endpoint, timeout=source.request_timeout,
                    watchdog_intervall=source.request_timeout)  # fmt: skip
    # The session outlives a collector that was killed for this long (asyncua asks for an hour):
    # a PLC serves a handful of sessions, and each one left behind keeps its subscription, and
    # its server busy, until it times out. The watchdog's probes keep a live session alive.
    client.session_timeout = round(SESSION_TIMEOUT_PROBES * source.request_timeout * 1000)
    client.application_uri = source.application_uri
    client.name = "smkit collector"
    if source.secure:
        cert, key = source.client_certificate
        await ensure_certificate(cert, key, source.application_uri)
        await client.set_security(
            POLICIES[source.security_policy],
            str(cert),
            str(key),
            server_certificate=str(source.server_certificate)
            if source.server_certificate is not None
            else None,
            mode=MODES[source.security_mode],
        )
    if source.identity == "username":
        client.set_user(source.username or "")
        client.set_password(password or "")
    elif source.identity == "certificate":
        assert source.user_certificate is not None and source.user_private_key is not None
        await client.load_client_certificate(str(source.user_certificate))
        await client.load_private_key(str(source.user_private_key))
    return client


async def operation_limit(client: Client, node_id: ua.NodeId, configured: int | None) -> int:
    """How many nodes one call may carry: configured, else the server's limit, else 100."""
    if configured is not None:
        return configured
    try:
        limit = await client.get_node(node_id).read_value()
    except (TimeoutError, ua.UaError, ConnectionError):
        return FALLBACK_PER_CALL
    return int(limit) if limit else FALLBACK_PER_CALL


class SessionEnded(Exception):
    """A session has to end (the subscription was lost, the server stopped); the message says
    why in words a user can act on."""


_SESSION_STATUS = {
    "BadShutdown": "the server stopped or crashed and ended the subscription",
    "BadTimeout": "the server stopped sending keep-alives and the subscription timed out",
    "BadNoSubscription": "the server no longer knows our subscription (it restarted?)",
    "BadSessionClosed": "the server closed the session",
    "BadSessionIdInvalid": "the server no longer knows our session (it restarted?)",
}


def subscription_lost(code: int) -> str:
    """Why a subscription's status change ends the session, in words and with the code."""
    name = status_name(code)
    return f"{_SESSION_STATUS.get(name, 'the server ended the subscription')} ({name})"


_LOGIN_REFUSED = {"BadUserAccessDenied", "BadIdentityTokenInvalid", "BadIdentityTokenRejected"}
_STATUS_HINTS = {
    "BadUserAccessDenied": "authentication failed: check username and password_env",
    "BadIdentityTokenInvalid": "the server refused this identity: check auth and the credentials",
    "BadIdentityTokenRejected": "the server does not accept this kind of login (anonymous, "
    "username or certificate): set auth to one it offers",
    "BadSecurityChecksFailed": "the server refused our certificate: ask its administrator "
    "to trust the collector's certificate",
    "BadCertificateUntrusted": "the server does not trust our certificate",
    "BadSecurityPolicyRejected": "the server does not offer this security policy",
    "BadTcpEndpointUrlInvalid": "the endpoint URL is not one this server serves",
}


def explain(error: BaseException, source: OpcUaSource) -> str:
    """One line saying why a connection attempt or session failed."""
    if isinstance(error, SessionEnded):
        return str(error)
    if isinstance(error, ua.UaStatusCodeError):
        code_name = status_name(error.code)
        if code_name in _LOGIN_REFUSED and source.username is None:
            return (
                "the server refuses anonymous logins: set username and password_env on the "
                f"source ({code_name})"
            )
        hint = _STATUS_HINTS.get(code_name, "the server refused the request")
        return f"{hint} ({code_name})"
    text = str(error) or type(error).__name__
    if source.username is None and "anonymous" in text.lower():
        return f"the server refuses anonymous logins: set username and password_env ({text})"
    if isinstance(error, ConnectionRefusedError):
        return f"cannot reach {source.endpoint}: connection refused"
    if isinstance(error, asyncio.TimeoutError | TimeoutError):
        return f"no answer from {source.endpoint} in time"
    if isinstance(error, OSError):
        return f"cannot reach {source.endpoint}: {error.strerror or text}"
    if "No matching endpoints" in text or "no matching" in text.lower():
        return (
            f"the server offers no endpoint with {source.security_policy}/"
            f"{source.security_mode}: {text}"
        )
    return f"{type(error).__name__}: {text}"


def status_name(code: int) -> str:
    """The symbolic name of an OPC UA status code (``BadNodeIdUnknown``)."""
    name, _ = get_name_and_doc(code)
    return str(name) if name else f"0x{code:08X}"
