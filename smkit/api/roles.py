"""Who may do what: each API key has one role, and each role a fixed set of rights."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The roles an API key can have."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    ENGINEER = "engineer"
    CONSULTANT = "consultant"
    INTEGRATOR = "integrator"
    ADMIN = "admin"


class Right(StrEnum):
    """What a route needs. Every write names the right it needs; reads need ``read``."""

    READ = "read"
    STOP_REASONS = "stop_reasons"
    FINDINGS = "findings"
    PLANT = "plant"
    ASSESSMENTS = "assessments"
    ORDERS = "orders"
    KEYS = "keys"


RIGHTS: dict[Role, frozenset[Right]] = {
    Role.VIEWER: frozenset({Right.READ}),
    Role.OPERATOR: frozenset({Right.READ, Right.STOP_REASONS, Right.FINDINGS}),
    Role.ENGINEER: frozenset({Right.READ, Right.PLANT}),
    Role.CONSULTANT: frozenset({Right.READ, Right.ASSESSMENTS}),
    Role.INTEGRATOR: frozenset({Right.READ, Right.ORDERS, Right.STOP_REASONS, Right.FINDINGS}),
    Role.ADMIN: frozenset(Right),
}
"""An operator's rights may further be limited to some lines (see :class:`smkit.api.keys.ApiKey`);
the integrator makes every MES write; the admin may do everything, keys included."""


def may(role: Role, right: Right) -> bool:
    """Whether ``role`` has ``right``."""
    return right in RIGHTS[role]
