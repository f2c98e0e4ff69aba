"""Who may do what: the default rules of Nova's policy for the calls modelled here."""

from __future__ import annotations

from harness.cloud import exception
from harness.cloud.context import RequestContext

ADMIN = "rule:context_is_admin"
PROJECT = "rule:project_member_or_admin"

RULES: dict[str, str] = {
    "os_compute_api:servers:create": PROJECT,
    "os_compute_api:servers:create:forced_host": ADMIN,
    "os_compute_api:servers:show": PROJECT,
    "os_compute_api:servers:detail": PROJECT,
    "os_compute_api:os-extended-server-attributes": ADMIN,
    "os_compute_api:os-migrate-server:migrate_live": ADMIN,
    "os_compute_api:os-migrate-server:migrate_live:host": ADMIN,
    "os_compute_api:os-migrations:index": ADMIN,
    "os_compute_api:os-instance-actions:list": PROJECT,
    "os_compute_api:os-instance-actions:show": PROJECT,
    "os_compute_api:os-instance-actions:events:details": ADMIN,
    "os_compute_api:os-services:list": ADMIN,
    "os_compute_api:os-services:update": ADMIN,
    "os_compute_api:os-flavor-manage:create": ADMIN,
}


def check(context: RequestContext, action: str, project_id: str | None = None) -> bool:
    rule = RULES[action]
    if context.is_admin:
        return True
    if rule == ADMIN:
        return False
    return project_id is None or project_id == context.project_id


def authorize(context: RequestContext, action: str, project_id: str | None = None) -> None:
    if not check(context, action, project_id):
        raise exception.PolicyNotAuthorized(action=action)
