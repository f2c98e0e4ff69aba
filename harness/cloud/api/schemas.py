"""JSON schemas for request bodies, trimmed from nova/api/openstack/compute/schemas."""

from __future__ import annotations

from typing import Any

_COUNT = {"type": ["integer", "string"], "pattern": "^[1-9][0-9]*$", "minimum": 1}
_BOOL_LIKE = {"type": ["boolean", "string"],
              "enum": [True, False, "True", "False", "true", "false", "1", "0"]}

CREATE_SERVER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": {"type": "string", "minLength": 1, "maxLength": 255},
                "imageRef": {"type": "string"},
                "flavorRef": {"type": ["string", "integer"], "minLength": 1},
                "min_count": _COUNT,
                "max_count": _COUNT,
                "return_reservation_id": _BOOL_LIKE,
                "networks": {"type": ["string", "array"]},
                "availability_zone": {"type": "string"},
            },
            "required": ["name", "flavorRef"],
        },
        "os:scheduler_hints": {"type": "object"},
    },
    "required": ["server"],
    "additionalProperties": False,
}

def server_action(version: tuple[int, int]) -> dict[str, Any]:
    """os-migrateLive as of 2.25 ("auto" block migration, no disk_over_commit);
    ``force`` exists from 2.30 until 2.68 removed it."""
    properties: dict[str, Any] = {
        "block_migration": {"type": ["boolean", "string"], "enum": [True, False, "auto"]},
        "host": {"type": ["string", "null"]},
    }
    if (2, 30) <= version < (2, 68):
        properties["force"] = {"type": "boolean"}
    return {
        "type": "object",
        "properties": {
            "os-migrateLive": {
                "type": "object",
                "properties": properties,
                "required": ["block_migration", "host"],
                "additionalProperties": False,
            },
        },
        "required": ["os-migrateLive"],
        "additionalProperties": False,
    }

UPDATE_SERVICE: dict[str, Any] = {
    "type": "object",
    "properties": {
        "status": {"type": "string", "enum": ["enabled", "disabled"]},
        "disabled_reason": {"type": "string"},
        "forced_down": {"type": "boolean"},
    },
    "additionalProperties": False,
    "minProperties": 1,
}

CREATE_FLAVOR: dict[str, Any] = {
    "type": "object",
    "properties": {
        "flavor": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "id": {"type": ["string", "null"]},
                "vcpus": {"type": "integer", "minimum": 1},
                "ram": {"type": "integer", "minimum": 1},
                "disk": {"type": "integer", "minimum": 0},
                "OS-FLV-EXT-DATA:ephemeral": {"type": "integer", "minimum": 0},
                "swap": {"type": "integer", "minimum": 0},
            },
            "required": ["name", "vcpus", "ram", "disk"],
        },
    },
    "required": ["flavor"],
}
