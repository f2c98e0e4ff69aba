"""/os-server-groups (nova/api/openstack/compute/server_groups.py): create, show, list
and delete server groups. A group is named at create with the scheduler hint
``group``; its policy is one string from 2.64 (with rules), a one-item list before."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from harness.cloud import exception, quota
from harness.cloud.api import policy, schemas
from harness.cloud.api.openstack import Version
from harness.cloud.context import RequestContext
from harness.cloud.db import Database
from harness.cloud.objects import Instance, InstanceGroup, get_minimum_version_all_cells

# The computes' version from which max_server_per_host above 1 is enforced.
MIN_VER_MAX_SERVER_RULES = 33


class ServerGroupController:
    def __init__(self, db: Database, limits: Mapping[str, int]) -> None:
        self.db = db
        self.limits = limits

    def create(self, context: RequestContext, body: dict[str, Any], version: Version
               ) -> dict[str, Any]:
        schemas.validate(body, schemas.create_server_group(version))
        policy.authorize(context, "os_compute_api:os-server-groups:create")
        try:
            quota.check_server_groups(self.db, self.limits, context.project_id)
        except exception.OverQuota:
            raise exception.Forbidden("Quota exceeded, too many server groups.") from None
        values = body["server_group"]
        if version >= (2, 64):
            group_policy, rules = values["policy"], values.get("rules", {})
            if group_policy != "anti-affinity" and rules:
                raise exception.Invalid("Only anti-affinity policy supports rules.")
            # _should_enable_custom_max_server_rules
            if (int(rules.get("max_server_per_host", 1)) > 1
                    and get_minimum_version_all_cells(self.db, "nova-compute")
                    < MIN_VER_MAX_SERVER_RULES):
                raise exception.Conflict("Creating an anti-affinity group with rule "
                                         "max_server_per_host > 1 is not yet supported.")
        else:
            group_policy, rules = values["policies"][0], {}
        group = InstanceGroup(uuid=self.db.new_uuid(), name=values["name"],
                              policy=group_policy, rules=dict(rules), members=[],
                              project_id=context.project_id, user_id=context.user_id)
        group.create(self.db)
        return {"server_group": self.view(group, version)}

    def show(self, context: RequestContext, group_id: str, version: Version
             ) -> dict[str, Any]:
        group = InstanceGroup.get_by_uuid(self.db, group_id)
        policy.authorize(context, "os_compute_api:os-server-groups:show", group.project_id)
        return {"server_group": self.view(group, version)}

    def index(self, context: RequestContext, version: Version) -> dict[str, Any]:
        policy.authorize(context, "os_compute_api:os-server-groups:index")
        groups = self.db.query(InstanceGroup, project_id=context.project_id)
        return {"server_groups": [self.view(g, version) for g in groups]}

    def delete(self, context: RequestContext, group_id: str) -> None:
        group = InstanceGroup.get_by_uuid(self.db, group_id)
        policy.authorize(context, "os_compute_api:os-server-groups:delete", group.project_id)
        self.db.delete(group)

    def view(self, group: InstanceGroup, version: Version) -> dict[str, Any]:
        """_format_server_group: policy and rules from 2.64, policies and metadata
        before; only members that still exist."""
        members = [uuid for uuid in group.members or ()
                   if self.db.query(Instance, uuid=uuid)]
        view: dict[str, Any] = {"id": group.uuid, "name": group.name}
        if version >= (2, 64):
            view.update(policy=group.policy, rules=dict(group.rules))
        else:
            view.update(policies=[group.policy], metadata={})
        view["members"] = members
        if version >= (2, 13):
            view.update(project_id=group.project_id, user_id=group.user_id)
        return view
