"""Machines, their signals, state mappings, products and the reason catalog."""

from __future__ import annotations

import re
from collections.abc import Mapping
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, field_validator

from smkit.plant.base import ConfigModel, Identifier, LocalText, SignalName


class StateCategory(StrEnum):
    """The internal machine-state categories every raw state is mapped to."""

    RUNNING = "running"
    IDLE = "idle"
    UNPLANNED_DOWN = "unplanned_down"
    SETUP = "setup"
    PLANNED_DOWN = "planned_down"
    NOT_SCHEDULED = "not_scheduled"
    UNKNOWN = "unknown"


class SignalRole(StrEnum):
    """What a signal means to the OEE engine; ``process`` is everything else."""

    STATE = "state"
    REASON = "reason"
    COUNT_TOTAL = "count_total"
    COUNT_GOOD = "count_good"
    COUNT_REJECT = "count_reject"
    COUNT_REWORK = "count_rework"
    LATE_SCRAP = "late_scrap"
    LATE_REWORK = "late_rework"
    PRODUCT = "product"
    ORDER = "order"
    CYCLE_TIME = "cycle_time"
    PROCESS = "process"


COUNT_ROLES = frozenset(
    {
        SignalRole.COUNT_TOTAL,
        SignalRole.COUNT_GOOD,
        SignalRole.COUNT_REJECT,
        SignalRole.COUNT_REWORK,
    }
)
LATE_FINDING_ROLES = frozenset({SignalRole.LATE_SCRAP, SignalRole.LATE_REWORK})
"""Quality findings reported late: each sample, at the time the units were made, says how many
of them were found to be scrap (or to need rework)."""
SINGLE_ROLES = frozenset(
    {SignalRole.REASON, SignalRole.PRODUCT, SignalRole.ORDER, SignalRole.CYCLE_TIME, *COUNT_ROLES,
     *LATE_FINDING_ROLES}
)  # fmt: skip
"""Roles a machine may give to at most one signal."""

SignalType = Literal["float", "int", "bool", "str"]
DEFAULT_TYPE: dict[SignalRole, SignalType] = {
    SignalRole.STATE: "int",
    SignalRole.REASON: "str",
    SignalRole.COUNT_TOTAL: "int",
    SignalRole.COUNT_GOOD: "int",
    SignalRole.COUNT_REJECT: "int",
    SignalRole.COUNT_REWORK: "int",
    SignalRole.LATE_SCRAP: "int",
    SignalRole.LATE_REWORK: "int",
    SignalRole.PRODUCT: "str",
    SignalRole.ORDER: "str",
    SignalRole.CYCLE_TIME: "float",
    SignalRole.PROCESS: "float",
}


class Counter(ConfigModel):
    """How a count signal behaves: cumulative or per-message delta, its rollover, its resets."""

    kind: Literal["cumulative", "delta"] = "cumulative"
    rollover_bits: Literal[16, 32, 64] | None = None
    resets_on_order_change: bool = False


ADDRESS_FIELDS = ("site", "area", "line", "machine")
PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


class Signal(ConfigModel):
    """One machine signal: its role, type, unit and where the connector finds it.

    The address may contain ``{site}``, ``{area}``, ``{line}`` and ``{machine}``, replaced by the
    machine's own place, so machines can share one signal list (a YAML anchor).
    """

    name: SignalName
    role: SignalRole = SignalRole.PROCESS
    type: SignalType | None = None
    unit: str | None = None
    address: str | None = None
    counter: Counter | None = None

    @field_validator("address")
    @classmethod
    def _known_placeholders(cls, value: str | None) -> str | None:
        for name in PLACEHOLDER.findall(value or ""):
            if name not in ADDRESS_FIELDS:
                allowed = ", ".join("{" + field + "}" for field in ADDRESS_FIELDS)
                raise ValueError(
                    f"unknown placeholder {{{name}}} in {value!r} (allowed: {allowed})"
                )
        return value

    def address_for(self, place: Mapping[str, str]) -> str | None:
        """The address with the placeholders of ``place`` (site, area, line, machine) filled in."""
        if self.address is None:
            return None
        return PLACEHOLDER.sub(lambda match: place[match.group(1)], self.address)

    @property
    def value_type(self) -> SignalType:
        """The declared type, or the usual one for the role."""
        return self.type or DEFAULT_TYPE[self.role]


def _stringify_code(value: object) -> object:
    """Reason codes may be written as numbers in YAML; they are compared as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


ReasonCode = Annotated[str, BeforeValidator(_stringify_code)]


def _boolean_keys_as_text(values: object) -> object:
    """``true:`` and ``false:`` keys (a boolean state signal) are kept as the text "true" and
    "false" that a boolean value is compared as; pydantic would otherwise make them 1 and 0."""
    if isinstance(values, dict):
        return {str(k).lower() if isinstance(k, bool) else k: v for k, v in values.items()}
    return values


class ValueStateMap(ConfigModel):
    """Map one raw state value (PackML number, vendor code, text) to a category."""

    kind: Literal["value"] = "value"
    values: Annotated[dict[int | str, StateCategory], BeforeValidator(_boolean_keys_as_text)] = (
        Field(min_length=1)
    )
    default: StateCategory = StateCategory.UNKNOWN


class FlagRule(ConfigModel):
    """When boolean signal ``signal`` is true, the machine is in ``category``."""

    signal: SignalName
    category: StateCategory


class FlagsStateMap(ConfigModel):
    """Derive the state from several boolean signals; the first rule whose signal is true wins."""

    kind: Literal["flags"]
    rules: list[FlagRule] = Field(min_length=1)
    default: StateCategory = StateCategory.IDLE


StateMap = Annotated[ValueStateMap | FlagsStateMap, Field(discriminator="kind")]


class Product(ConfigModel):
    """A product the machine makes, with its ideal cycle time (seconds per cycle)."""

    id: Identifier
    name: str | None = None
    ideal_cycle_time_s: float = Field(gt=0)
    units_per_cycle: int = Field(default=1, gt=0)


IsoElement = Literal["APT", "ADET", "ADOT", "AUST", "PDOT", "none"]


class Reason(ConfigModel):
    """A stop reason: code, bilingual label, category, ISO 22400 time element, failure or not."""

    code: ReasonCode
    label: LocalText
    category: StateCategory
    iso_element: IsoElement = "ADOT"
    is_failure: bool = False


class Machine(ConfigModel):
    """A piece of equipment (ISA-95 work unit) and the signals it exposes."""

    id: Identifier
    name: str | None = None
    source: Identifier | None = None
    state_map: Identifier | None = None
    signals: list[Signal] = Field(default_factory=list)
    products: list[Product] = Field(default_factory=list)
    default_product: Identifier | None = None
