"""Who may do what: Nova 34's default policy (nova/policies/) for the calls modelled here.

Rules are Nova's base rules: ``context_is_admin`` is the admin role;
``project_<role>_or_admin`` is that role on the target's project, or admin.
"""

from __future__ import annotations

from harness.cloud import exception
from harness.cloud.context import RequestContext

ADMIN = "rule:context_is_admin"
PROJECT_MANAGER = "rule:project_manager_or_admin"
PROJECT_MEMBER = "rule:project_member_or_admin"
PROJECT_READER = "rule:project_reader_or_admin"
_ROLE_OF = {PROJECT_MANAGER: "manager", PROJECT_MEMBER: "member", PROJECT_READER: "reader"}

RULES: dict[str, str] = {
    "os_compute_api:servers:create": PROJECT_MEMBER,
    "os_compute_api:servers:create:forced_host": ADMIN,
    "os_compute_api:servers:create:zero_disk_flavor": ADMIN,
    "os_compute_api:servers:show": PROJECT_READER,
    "os_compute_api:servers:detail": PROJECT_READER,
    "os_compute_api:servers:detail:get_all_tenants": ADMIN,
    "os_compute_api:servers:delete": PROJECT_MEMBER,
    "os_compute_api:servers:resize": PROJECT_MEMBER,
    "os_compute_api:servers:confirm_resize": PROJECT_MEMBER,
    "os_compute_api:servers:stop": PROJECT_MEMBER,
    "os_compute_api:servers:start": PROJECT_MEMBER,
    "os_compute_api:servers:revert_resize": PROJECT_MEMBER,
    "os_compute_api:servers:rebuild": PROJECT_MEMBER,
    "os_compute_api:os-extended-server-attributes": ADMIN,
    "os_compute_api:os-migrate-server:migrate": PROJECT_MANAGER,
    "os_compute_api:os-migrate-server:migrate:host": ADMIN,
    "os_compute_api:os-migrate-server:migrate_live": PROJECT_MANAGER,
    "os_compute_api:os-migrate-server:migrate_live:host": ADMIN,
    "os_compute_api:os-evacuate": ADMIN,
    "os_compute_api:os-shelve:shelve": PROJECT_MEMBER,
    "os_compute_api:os-shelve:shelve_offload": ADMIN,
    "os_compute_api:os-shelve:unshelve": PROJECT_MEMBER,
    "os_compute_api:os-shelve:unshelve_to_host": ADMIN,
    "os_compute_api:os-migrations:index": PROJECT_MANAGER,
    "os_compute_api:os-migrations:index:all_projects": ADMIN,
    "os_compute_api:os-instance-actions:list": PROJECT_READER,
    "os_compute_api:os-instance-actions:show": PROJECT_READER,
    "os_compute_api:os-instance-actions:events:details": ADMIN,
    "os_compute_api:os-server-groups:create": PROJECT_MEMBER,
    "os_compute_api:os-server-groups:show": PROJECT_READER,
    "os_compute_api:os-server-groups:index": PROJECT_READER,
    "os_compute_api:os-server-groups:delete": PROJECT_MEMBER,
    "os_compute_api:os-services:list": ADMIN,
    "os_compute_api:os-services:update": ADMIN,
    "os_compute_api:os-flavor-manage:create": ADMIN,
}


def check(context: RequestContext, action: str, project_id: str | None = None) -> bool:
    """Whether the rule allows it; ``project_id`` is the target's (the caller's if None)."""
    rule = RULES[action]
    if "admin" in context.roles:
        return True
    if rule == ADMIN:
        return False
    on_project = project_id is None or project_id == context.project_id
    return on_project and _ROLE_OF[rule] in context.roles


def authorize(context: RequestContext, action: str, project_id: str | None = None) -> None:
    if not check(context, action, project_id):
        raise exception.PolicyNotAuthorized(action=action)
