"""Per-request RequestSpec fields found persisted: which step left them behind, and
which later move read them back; and a RequestSpec whose flavor is not its server's,
which a later move claims.

Nova keeps ``ignore_hosts``, ``requested_destination`` and ``retry`` in a
RequestSpec for one request only and never writes them (Nova 34 clears them on
save and does not load them back). Each of the stale-RequestSpec bugs was one
of them leaking into the database and steering a later move. The runner sees
every server's persisted RequestSpec after every step, on either backend, so
it can say where a stale value came from, whatever the code under test is.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.scenario.outcome import RequestSpecState, ServerState

# The field, and the bug of the family in which it leaked.
PER_REQUEST_FIELDS = {"ignore_hosts": "1669054", "requested_destination": "1797580",
                      "retry": "1718512"}


def persisted_fields(spec: RequestSpecState) -> dict[str, object]:
    """The per-request fields a persisted RequestSpec holds, by name: none, in Nova 34."""
    return {name: getattr(spec, name) for name in PER_REQUEST_FIELDS if getattr(spec, name)}


@dataclass(frozen=True)
class Origin:
    step: int          # 0-based index of the step after which it was first seen
    described: str
    value: object


class StaleFieldTracker:
    def __init__(self) -> None:
        self.origins: dict[tuple[int, str], Origin] = {}

    def observe(self, step_index: int, described: str,
                before: dict[int, RequestSpecState], after: dict[int, RequestSpecState],
                failed_servers: list[int]) -> list[str]:
        """Explanations for one step: per-request fields it persisted, and those that
        were already persisted for servers whose move failed."""
        lines = [line for line in (
            self._read_back(index, step_index)
            for index in failed_servers) if line]
        for index, spec in after.items():
            for field, bug in PER_REQUEST_FIELDS.items():
                value = getattr(spec, field)
                previous = getattr(before[index], field) if index in before else None
                if not value:
                    self.origins.pop((index, field), None)
                elif value != previous:
                    self.origins[(index, field)] = Origin(step_index, described, value)
                    lines.append(
                        f"This step persisted RequestSpec.{field} = {_show(value)} for server "
                        f"{index}. Nova keeps {field} for one request only and never writes "
                        f"it; a later move of the server reads it back and acts on it (the "
                        f"stale-RequestSpec family: bug #{bug}).")
        return lines

    def _read_back(self, index: int, step_index: int) -> str | None:
        found = [(field, origin) for (i, field), origin in self.origins.items()
                 if i == index and origin.step < step_index]
        if not found:
            return None
        return " ".join(
            f"Server {index}'s RequestSpec was read back with {field} = {_show(origin.value)}, "
            f"persisted by step {origin.step + 1} ({origin.described}): a value meant for "
            f"that request only, steering this one (bug #{PER_REQUEST_FIELDS[field]})."
            for field, origin in found)


@dataclass(frozen=True)
class StaleFlavor(Origin):
    """``value``: the RequestSpec's flavor."""

    server_flavor: str


class StaleFlavorTracker:
    """A RequestSpec left with a flavor that is not its server's: Nova 34's conductor
    saves a resize's new flavor once its scheduler has answered, and a resize that
    fails after that leaves the server in its old one. A later move's scheduler claims
    the RequestSpec's flavor for the server: placement holds more, or less, than it."""

    def __init__(self) -> None:
        self.found: dict[int, StaleFlavor] = {}

    def observe(self, step_index: int, described: str, scheduled: list[int],
                servers: tuple[ServerState, ...],
                specs: dict[int, RequestSpecState]) -> list[str]:
        """Explanations for one step: the servers in ``scheduled`` (those its
        scheduler placed) whose RequestSpec an earlier step left stale. Then notes
        whose RequestSpec is stale after this step."""
        lines = [
            f"Server {index}'s RequestSpec has flavor {stale.value}, left by step "
            f"{stale.step + 1} ({stale.described}) while the server stayed "
            f"{stale.server_flavor}: this step's scheduler claimed {stale.value} for "
            "it. Nova 34 does the same (examples/failed_resize_leaves_its_flavor): a stale "
            "RequestSpec of the family, in Nova."
            for index, stale in self.found.items() if index in scheduled]
        for server in servers:
            spec = specs.get(server.index)
            if spec is None or spec.flavor == server.flavor:
                self.found.pop(server.index, None)
            elif server.index not in self.found:
                self.found[server.index] = StaleFlavor(step_index, described, spec.flavor,
                                                       server.flavor)
        return lines


def _show(value: object) -> str:
    return repr(list(value)) if isinstance(value, tuple) else repr(value)
