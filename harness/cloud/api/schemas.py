"""JSON schemas for request bodies, trimmed from nova/api/openstack/compute/schemas.

A schema that depends on the microversion is a function of it; each returns
the same dict object for the same range, so ``validate`` can keep one
compiled validator per schema (checking a schema against the meta-schema on
every request was half of the fake cloud's run time).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema

Version = tuple[int, int]

_COUNT = {"type": ["integer", "string"], "pattern": "^[1-9][0-9]*$", "minimum": 1}
# parameter_types.boolean: booleans and their usual spellings.
_BOOL_LIKE = {"type": ["boolean", "string"],
              "enum": [True, False, "True", "False", "true", "false", "1", "0", "on", "off",
                       "yes", "no", "ON", "OFF", "YES", "NO", "On", "Off", "Yes", "No"]}
# parameter_types.fqdn (hosts)
_FQDN = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[a-zA-Z0-9-._]*$"}
_NAME = {"type": "string", "minLength": 1, "maxLength": 255}


def _action(name: str, inner: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {name: inner}, "required": [name],
            "additionalProperties": False}


def _object(properties: dict[str, Any], required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required),
            "additionalProperties": False}


CREATE_SERVER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "server": {
            "type": "object",
            "properties": {
                "name": _NAME,
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


@cache
def live_migrate(version: Version) -> dict[str, Any]:
    """os-migrateLive: disk_over_commit until 2.24; "auto" from 2.25; force 2.30-2.67."""
    properties: dict[str, Any] = {"block_migration": _BOOL_LIKE,
                                  "host": {**_FQDN, "type": ["string", "null"]}}
    required = ["block_migration", "host"]
    if version < (2, 25):
        properties["disk_over_commit"] = _BOOL_LIKE
        required.append("disk_over_commit")
    else:
        properties["block_migration"] = {"enum": [*_BOOL_LIKE["enum"], "auto"]}
    if (2, 30) <= version < (2, 68):
        properties["force"] = _BOOL_LIKE
    return _action("os-migrateLive", _object(properties, tuple(required)))


# migrate: no schema before 2.56 (the body is not validated and "host" ignored).
MIGRATE_2_56 = _action("migrate", {
    "type": ["object", "null"],
    "properties": {"host": {**_FQDN, "type": ["string", "null"]}},
    "additionalProperties": False,
})

RESIZE = _action("resize", _object({
    "flavorRef": {"type": ["string", "integer"], "minLength": 1},
    "OS-DCF:diskConfig": {"enum": ["AUTO", "MANUAL"]},
}, ("flavorRef",)))

CONFIRM_RESIZE = _action("confirmResize", {})
STOP = _action("os-stop", {})
START = _action("os-start", {})
REVERT_RESIZE = _action("revertResize", {})
SHELVE = _action("shelve", {})
SHELVE_OFFLOAD = _action("shelveOffload", {})

REBUILD = _action("rebuild", {
    "type": "object",
    "properties": {"imageRef": {"type": "string", "format": "uuid"}, "name": _NAME},
    "required": ["imageRef"],
})


@cache
def evacuate(version: Version) -> dict[str, Any]:
    """onSharedStorage (required) until 2.13; force 2.29-2.67."""
    properties: dict[str, Any] = {"host": _FQDN, "adminPass": {"type": "string"}}
    required: tuple[str, ...] = ()
    if version < (2, 14):
        properties["onSharedStorage"] = _BOOL_LIKE
        required = ("onSharedStorage",)
    if (2, 29) <= version < (2, 68):
        properties["force"] = _BOOL_LIKE
    return _action("evacuate", _object(properties, required))


@cache
def unshelve(version: Version) -> dict[str, Any]:
    """Anything until 2.76; an availability zone from 2.77; a host (or AZ null) from 2.91."""
    if version < (2, 77):
        return _action("unshelve", {})
    if version < (2, 91):
        return _action("unshelve", {"type": ["object", "null"], "properties": {
            "availability_zone": _NAME}, "required": ["availability_zone"],
            "additionalProperties": False})
    return _action("unshelve", {"type": ["object", "null"], "properties": {
        "availability_zone": {**_NAME, "type": ["string", "null"]},
        "host": {"type": "string"}}, "additionalProperties": False})


@cache
def create_server_group(version: Version) -> dict[str, Any]:
    """A one-item list of policies until 2.63 (the soft ones from 2.15); one policy and
    its rules from 2.64."""
    policies = ["anti-affinity", "affinity"]
    if version >= (2, 15):
        policies += ["soft-anti-affinity", "soft-affinity"]
    if version < (2, 64):
        properties: dict[str, Any] = {"name": _NAME, "policies": {
            "type": "array", "prefixItems": [{"type": "string", "enum": policies}],
            "uniqueItems": True, "minItems": 1, "maxItems": 1, "items": False}}
        required: tuple[str, ...] = ("name", "policies")
    else:
        properties = {"name": _NAME, "policy": {"type": "string", "enum": policies},
                      "rules": _object({"max_server_per_host": {
                          "type": ["integer", "string"], "pattern": "^[0-9]*$",
                          "minimum": 1}})}
        required = ("name", "policy")
    return _action("server_group", _object(properties, required))


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

_validators: dict[int, jsonschema.protocols.Validator] = {}


def validate(body: Any, schema: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError (the API's 400) unless ``body`` fits ``schema``."""
    validator = _validators.get(id(schema))
    if validator is None:
        validator = _validators[id(schema)] = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    error = jsonschema.exceptions.best_match(validator.iter_errors(body))
    if error is not None:
        raise error
