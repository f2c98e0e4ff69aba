"""Who is asking: nova.context.RequestContext, reduced to what the fake cloud uses."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field

_request_ids = itertools.count(1)

# The roles Nova's functional API fixture gives its clients (OSAPIFixture).
ADMIN_ROLES = ("reader", "member", "admin")
MEMBER_ROLES = ("reader", "member")
# A project manager (Nova 34's default policy lets one move servers without naming a
# host) and a read-only user, as a scenario's ``as`` names them.
MANAGER_ROLES = ("reader", "member", "manager")
READER_ROLES = ("reader",)


def _next_request_id() -> str:
    return f"req-{next(_request_ids):08d}"


@dataclass(frozen=True)
class RequestContext:
    user_id: str
    project_id: str
    is_admin: bool = False
    roles: tuple[str, ...] = MEMBER_ROLES
    request_id: str = field(default_factory=_next_request_id)

    def __bus_copy__(self) -> RequestContext:
        # Frozen, and every field immutable: the receiver can share it.
        return self

    def elevated(self) -> RequestContext:
        return dataclasses.replace(self, is_admin=True,
                                   roles=tuple(dict.fromkeys((*self.roles, "admin"))))

    def new_request(self) -> RequestContext:
        """The same user, for a new API request (with its own request_id)."""
        return dataclasses.replace(self, request_id=_next_request_id())


def get_admin_context() -> RequestContext:
    return RequestContext(user_id="admin", project_id="admin", is_admin=True, roles=ADMIN_ROLES)
