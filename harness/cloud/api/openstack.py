"""The compute REST API, in process: request bodies in, Nova's JSON views out.

Each controller module is what one of Nova's (nova/api/openstack/compute/)
does for its URLs and server actions: validate the body against the
microversion's JSON schema, look the server up, check policy, call the
compute API and render the response. Errors become an ``ApiResponse`` with
the status code Nova's controller gives, never a bare exception. This module
has what the controllers share; ``routes`` serves them on the bus.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema

from harness.cloud import exception
from harness.cloud.context import RequestContext
from harness.cloud.jsonvalues import json_copy

Version = tuple[int, int]
MIN_VERSION, MAX_VERSION = (2, 1), (2, 104)  # Nova 34's compute API
_ERROR_NAMES = {400: "badRequest", 403: "forbidden", 404: "itemNotFound",
                406: "notAcceptable", 409: "conflictingRequest"}


@dataclass
class ApiResponse:
    status_code: int
    body: Any = None

    def __trace__(self) -> str:
        return str(self.status_code)

    def __bus_copy__(self) -> ApiResponse:
        # The body crosses as JSON, as it does over HTTP.
        return ApiResponse(self.status_code, json_copy(self.body))


class InvalidGlobalAPIVersion(exception.NovaException):
    msg_fmt = ("Version %(req_ver)s is not supported by the API. Minimum is %(min_ver)s "
               "and maximum is %(max_ver)s.")
    code = 406


def parse_microversion(text: str) -> Version:
    """'latest' or '2.N' within the supported range, else InvalidGlobalAPIVersion (406)."""
    if text == "latest":
        return MAX_VERSION
    major, _, minor = text.partition(".")
    if not (major.isdigit() and minor.isdigit()):
        raise exception.Invalid(f"API Version String {text} is of invalid format. Must be of "
                                "format MajorNum.MinorNum.")
    version = (int(major), int(minor))
    if not MIN_VERSION <= version <= MAX_VERSION:
        raise InvalidGlobalAPIVersion(req_ver=text, min_ver="2.1", max_ver="2.104")
    return version


def as_bool(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() in (
        "true", "1", "on", "yes"))


def filters(search_opts: dict[str, Any], allowed: dict[str, str]) -> dict[str, Any]:
    """Query parameters as field filters; an unknown one is a 400."""
    unknown = sorted(set(search_opts) - set(allowed))
    if unknown:
        raise exception.Invalid(f"Invalid filter(s): {', '.join(unknown)}; "
                                f"allowed: {', '.join(sorted(allowed))}")
    return {allowed[key]: value for key, value in search_opts.items()}


def conflict_for_invalid_state(exc: exception.InstanceInvalidState, action: str,
                               server_id: str) -> exception.Conflict:
    """common.raise_http_conflict_for_instance_invalid_state: the 409 Nova answers."""
    attr, state = exc.kwargs.get("attr"), exc.kwargs.get("state")
    if attr and state:
        return exception.Conflict(
            f"Cannot '{action}' instance {server_id} while it is in {attr} {state}")
    return exception.Conflict(f"Instance {server_id} is in an invalid state for '{action}'")


def api_handler(success: int) -> Callable[..., Callable[..., ApiResponse]]:
    """Turn a handler's return value or Nova exception into an ApiResponse.

    A handler returns the body of its ``success`` status, or an ApiResponse
    when the status depends on the request (server actions). The request's
    microversion is checked here; a handler whose behaviour depends on it
    takes a ``version`` argument.
    """
    def decorator(func: Callable[..., Any]) -> Callable[..., ApiResponse]:
        wants_version = "version" in inspect.signature(func).parameters

        @functools.wraps(func)
        def wrapper(*args: Any, microversion: str = "latest", **kwargs: Any) -> ApiResponse:
            try:
                version = parse_microversion(microversion)
                if wants_version:
                    kwargs["version"] = version
                result = func(*args, **kwargs)
                return result if isinstance(result, ApiResponse) else ApiResponse(
                    success, result)
            except jsonschema.ValidationError as exc:
                return ApiResponse(400, {"badRequest": {"code": 400, "message":
                                         f"Invalid input for field/attribute: {exc.message}"}})
            except exception.NovaException as exc:
                code = exc.code if exc.code in _ERROR_NAMES else 500
                name = _ERROR_NAMES.get(code, "computeFault")
                return ApiResponse(code, {name: {"code": code, "message": exc.format_message()}})
            except Exception as exc:
                # wsgi.expected_errors: anything unexpected is a 500 naming its class.
                message = ("Unexpected API Error. Please report this at "
                           "http://bugs.launchpad.net/nova/ and attach the Nova API log if "
                           f"possible.\n{type(exc)}")
                return ApiResponse(500, {"computeFault": {"code": 500, "message": message}})
        return wrapper
    return decorator


# A server action's handler: (context, server_id, body, version) -> body or ApiResponse.
ActionHandler = Callable[[RequestContext, str, dict[str, Any], Version], Any]
