"""Actions of the servers controller that move or re-place a server: resize (and its
confirm and revert) and rebuild."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from harness.scenario.steps.base import Names, Reference, ServerActionStep

if TYPE_CHECKING:
    from harness.scenario.runner import StepRunner


@dataclass(frozen=True, kw_only=True)
class ResizeStep(ServerActionStep):
    """Resize to another flavor: the conductor's MigrationTask schedules the new flavor,
    on another host unless ``allow_resize_to_same_host``; the server then waits in
    VERIFY_RESIZE for confirm-resize or revert-resize."""

    ASKS_SCHEDULER: ClassVar[bool] = True
    ACTION: ClassVar[str] = "resize"
    INSTANCE_ACTION: ClassVar[str] = "resize"
    REQUIRED = ("flavor",)
    PROPERTIES: ClassVar[dict[str, Any]] = {"flavor": {"$ref": "#/$defs/name"}}

    flavor: str

    def references(self, names: Names) -> Iterator[Reference]:
        yield from super().references(names)
        yield from names.flavor("flavor", self.flavor)

    def describe(self) -> str:
        return f"resize server {self.server} to {self.flavor}"

    def flavor_after(self, server: int, flavor: str | None) -> str | None:
        return self.flavor if server == self.server else flavor

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"resize": {"flavorRef": runner.flavor_ids[self.flavor]}}


@dataclass(frozen=True, kw_only=True)
class ConfirmResizeStep(ServerActionStep):
    """Confirm a resize or cold migration: the source host's allocation, held by the
    migration, is released."""

    ACTION: ClassVar[str] = "confirm-resize"
    INSTANCE_ACTION: ClassVar[str] = "confirmResize"
    SUCCESS_STATUS: ClassVar[int | None] = 204
    MIGRATION = "acts-on"

    def describe(self) -> str:
        return f"confirm the resize of server {self.server}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"confirmResize": None}


@dataclass(frozen=True, kw_only=True)
class RevertResizeStep(ServerActionStep):
    """Revert a resize or cold migration: back to the source host and the old flavor;
    the destination's allocation is released."""

    ACTION: ClassVar[str] = "revert-resize"
    INSTANCE_ACTION: ClassVar[str] = "revertResize"
    MIGRATION = "acts-on"

    def describe(self) -> str:
        return f"revert the resize of server {self.server}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        return {"revertResize": None}


@dataclass(frozen=True, kw_only=True)
class RebuildStep(ServerActionStep):
    """Rebuild. With another image the scheduler checks the server's own host for it
    (the path without placement); with the same image it is not asked."""

    ASKS_SCHEDULER: ClassVar[bool] = True
    ACTION: ClassVar[str] = "rebuild"
    INSTANCE_ACTION: ClassVar[str] = "rebuild"
    MIGRATION = None
    PROPERTIES: ClassVar[dict[str, Any]] = {
        "image": {"description": "the image the server has (same) or another one (other)",
                  "enum": ["same", "other"]},
    }

    image: str = "other"

    def describe(self) -> str:
        image = "another image" if self.image == "other" else "the same image"
        return f"rebuild server {self.server} with {image}"

    def body(self, runner: StepRunner, target: str | None) -> dict[str, Any]:
        cloud = runner.cloud
        image = cloud.other_image_ref if self.image == "other" else cloud.image_ref
        return {"rebuild": {"imageRef": image}}
