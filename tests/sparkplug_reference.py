"""The independent Sparkplug decoder: Google's protobuf runtime, compiled from our schema file."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from grpc_tools import protoc

SCHEMA = Path(__file__).with_name("sparkplug_b.proto")


def compile_reference(out: Path) -> ModuleType:
    """Compile ``sparkplug_b.proto`` with protoc and import the generated module."""
    status = protoc.main(["protoc", f"-I{SCHEMA.parent}", f"--python_out={out}", SCHEMA.name])
    assert status == 0, "protoc failed on sparkplug_b.proto"
    spec = importlib.util.spec_from_file_location("sparkplug_b_pb2", out / "sparkplug_b_pb2.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["sparkplug_b_pb2"] = module
    spec.loader.exec_module(module)
    return module
