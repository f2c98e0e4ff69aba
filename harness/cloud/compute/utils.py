"""What nova/compute/utils.py does for faults: how an exception is recorded on an
instance (its fault) and on an instance action's event (its details)."""

from __future__ import annotations

import traceback
from typing import Any

from harness.cloud import exception
from harness.cloud.objects import Instance


def exception_to_dict(exc: BaseException) -> dict[str, Any]:
    """A Nova exception's formatted message and code; for any other exception only
    its class name, and 500."""
    if isinstance(exc, exception.NovaException):
        return {"code": exc.code, "message": exc.format_message()}
    return {"code": 500, "message": type(exc).__name__}


def add_instance_fault_from_exc(instance: Instance, exc: BaseException) -> None:
    """Set the instance's fault (saved with the instance's next save)."""
    instance.fault = {**exception_to_dict(exc),
                      "details": "".join(traceback.format_tb(exc.__traceback__))}
