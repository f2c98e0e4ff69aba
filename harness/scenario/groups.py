"""Server groups as a scenario made them: which servers are in which group, and
whether the hosts they ended on keep the group's policy.

A broken policy is explained whatever the backend: the runner sees every server's
host after every step. Members of one request placed together against an
anti-affinity policy is the signature of bug #1781710: the scheduler did not
count, as it placed a multi-create, the servers it had placed already. A move
of a member of a deleted group failing to find the group is the signature of
bug #1890244: the group's hint outlived it in the member's RequestSpec.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from harness.scenario.outcome import ServerState, StepOutcome


@dataclass
class Group:
    policy: str
    max_server_per_host: int = 1
    members: list[int] = field(default_factory=list)
    # The step (numbered from 1, as reports number them) that deleted the group.
    deleted_by: int | None = None


class GroupPolicyWatcher:
    def __init__(self) -> None:
        self.groups: dict[str, Group] = {}
        self.deleted_groups: dict[str, Group] = {}

    def created(self, name: str, policy: str, max_server_per_host: int | None) -> None:
        self.groups[name] = Group(policy, max_server_per_host or 1)

    def joined(self, name: str, servers: range) -> None:
        self.groups[name].members.extend(servers)

    def deleted(self, name: str, step: int) -> None:
        self.deleted_groups[name] = self.groups.pop(name)
        self.deleted_groups[name].deleted_by = step

    def explain_lost_group(self, result: StepOutcome) -> list[str]:
        """A sentence for each moved server whose deleted group its move went looking for."""
        if result.error_class != "InstanceGroupNotFound":
            return []
        return [f"Server {server.index} was created in server group {name!r}, which step "
                f"{group.deleted_by} deleted; the move failed looking the group up. The "
                "member's RequestSpec, loaded for the move, kept the hint "
                "scheduler_hints.group that its create persisted, and the destination "
                "compute's late group check followed it: loading a spec whose group is gone "
                "must drop the hint with the group (bug #1890244)."
                for server in result.servers
                for name, group in self.deleted_groups.items()
                if server.index in group.members]

    def explain(self, servers: tuple[ServerState, ...], placed_together: set[int]
                ) -> list[str]:
        """Sentences for each anti-affinity group whose members crowd a host;
        ``placed_together`` are the servers this step's one request placed."""
        hosts = {s.index: s.host for s in servers}
        lines = []
        for name, group in self.groups.items():
            soft = group.policy == "soft-anti-affinity"
            if group.policy != "anti-affinity" and not soft:
                continue
            crowded = Counter(hosts[i] for i in group.members if hosts.get(i) is not None)
            for host, count in sorted(crowded.items()):
                on_host = [i for i in group.members if hosts.get(i) == host]
                together = len(set(on_host) & placed_together) > 1
                if count <= (1 if soft else group.max_server_per_host) or (
                        soft and not together):
                    continue
                line = (f"Servers {on_host} of {group.policy} group {name!r} are on {host} "
                        "together" + (" (a soft policy allows it only when no other host "
                                      "has room)." if soft else
                                      f" (at most {group.max_server_per_host} per host)."))
                if together:
                    line += (" One request placed them: the scheduler did not count the "
                             "servers it had just placed on the host (HostState.instances "
                             "within a multi-create, bug #1781710).")
                lines.append(line)
        return lines
