"""Exceptions of the fake cloud, named and worded as Nova's (nova/exception.py).

Scenario expectations name an error by its class name ("NoValidHost"), and the
same name must come out of real Nova, so the names here are Nova's own.
"""

from __future__ import annotations

from typing import Any


class NovaException(Exception):
    msg_fmt = "An unknown exception occurred."
    code = 500

    def __init__(self, message: str | None = None, **kwargs: Any) -> None:
        self.kwargs = kwargs
        super().__init__(message or self.msg_fmt % kwargs)

    def format_message(self) -> str:
        return str(self.args[0])


class Invalid(NovaException):
    msg_fmt = "Bad Request - Invalid Parameters"
    code = 400


class Forbidden(NovaException):
    msg_fmt = "Forbidden"
    code = 403


class NotFound(NovaException):
    msg_fmt = "Resource could not be found."
    code = 404


class Conflict(NovaException):
    msg_fmt = "Conflict"
    code = 409


class PolicyNotAuthorized(Forbidden):
    msg_fmt = "Policy doesn't allow %(action)s to be performed."


class NoValidHost(NovaException):
    msg_fmt = "No valid host was found. %(reason)s"


class MaxRetriesExceeded(NoValidHost):
    msg_fmt = "Exceeded maximum number of retries. %(reason)s"


class MigrationError(NovaException):
    msg_fmt = "Migration error: %(reason)s"


class MigrationPreCheckError(MigrationError):
    msg_fmt = "Migration pre-check error: %(reason)s"


class ComputeServiceUnavailable(Invalid):
    msg_fmt = "Compute service of %(host)s is unavailable at this time."


class UnableToMigrateToSelf(Invalid):
    msg_fmt = "Unable to migrate instance (%(instance_id)s) to current host (%(host)s)."


class InstanceInvalidState(Invalid):
    msg_fmt = (
        "Instance %(instance_uuid)s in %(attr)s %(state)s. Cannot %(method)s while "
        "the instance is in this state."
    )


class UnexpectedTaskStateError(Conflict):
    msg_fmt = "Unexpected task state: expecting %(expected)s but the actual state is %(actual)s"


class InstanceNotFound(NotFound):
    msg_fmt = "Instance %(instance_id)s could not be found."


class ComputeHostNotFound(NotFound):
    msg_fmt = "Compute host %(host)s could not be found."


class ServiceNotFound(NotFound):
    msg_fmt = "Service %(service_id)s could not be found."


class RequestSpecNotFound(NotFound):
    msg_fmt = "RequestSpec not found for instance %(instance_uuid)s"


class ObjectNotFound(NotFound):
    msg_fmt = "%(table)s %(key)s could not be found."


class AllocationUpdateFailed(NovaException):
    msg_fmt = "Failed to update allocations for consumer %(consumer_uuid)s. Error: %(error)s"


class CannotMigrateToSameHost(NovaException):
    msg_fmt = "Cannot migrate to the host where the server exists."
    code = 400


class CannotResizeToSameFlavor(NovaException):
    msg_fmt = "When resizing, instances must change flavor!"
    code = 400


class CannotResizeDisk(NovaException):
    msg_fmt = "Server disk was unable to be resized because: %(reason)s"
    code = 400


class FlavorDiskTooSmall(NovaException):
    msg_fmt = "The created instance's disk would be too small."
    code = 400


class FlavorDiskSmallerThanMinDisk(FlavorDiskTooSmall):
    msg_fmt = ("Flavor's disk is smaller than the minimum size specified in image metadata. "
               "Flavor disk is %(flavor_size)i bytes, minimum size is %(image_min_disk)i "
               "bytes.")


class BootFromVolumeRequiredForZeroDiskFlavor(Forbidden):
    msg_fmt = "Only volume-backed servers are allowed for flavors with zero disk."


class FlavorNotFound(NotFound):
    msg_fmt = "Flavor %(flavor_id)s could not be found."


class ImageNotFound(NotFound):
    msg_fmt = "Image %(image_id)s could not be found."


class MigrationNotFound(NotFound):
    msg_fmt = "Migration %(migration_id)s could not be found."


class MigrationNotFoundByStatus(MigrationNotFound):
    msg_fmt = "Migration not found for instance %(instance_id)s with status %(status)s."


class ServiceUnavailable(Invalid):
    msg_fmt = "Service is unavailable at this time."


class InstanceNotReady(Invalid):
    msg_fmt = "Instance %(instance_id)s is not ready"


class NotSupported(NovaException):
    msg_fmt = "Bad Request - Feature is not supported in Nova"
    code = 400


class NotSupportedComputeForEvacuateV295(NotSupported):
    """Nova raises it with the values as its message (not its format's keywords), so
    the 400 says "{'currently': 0, 'expected': 62}"."""


class ComputeServiceInUse(NovaException):
    msg_fmt = "Compute service of %(host)s is still in use."


class UnshelveInstanceInvalidState(InstanceInvalidState):
    msg_fmt = ('Specifying an availability zone or a host when unshelving server '
               '"%(instance_uuid)s" with status "%(state)s" is not supported. The server '
               'status must be SHELVED_OFFLOADED.')
    code = 409


class UnshelveHostNotInAZ(Invalid):
    msg_fmt = 'Host "%(host)s" is not in the availability zone "%(availability_zone)s".'
    code = 409


class InvalidRequest(Invalid):
    msg_fmt = "The request is invalid."


class ResizeError(NovaException):
    msg_fmt = "Resize error: %(reason)s"


class RescheduledException(NovaException):
    msg_fmt = "Build of instance %(instance_uuid)s was re-scheduled: %(reason)s"


class ComputeResourcesUnavailable(ServiceUnavailable):
    msg_fmt = "Insufficient compute resources: %(reason)s."


class InstanceExists(NovaException):
    msg_fmt = "Instance %(name)s already exists."


class InstanceFaultRollback(NovaException):
    """Wraps the error of a step that failed without harming the instance:
    Nova restores its vm_state instead of putting it in ERROR."""

    def __init__(self, inner_exception: Exception) -> None:
        self.inner_exception = inner_exception
        super().__init__(f"Instance rollback performed due to: {inner_exception}")


class InstanceGroupNotFound(NotFound):
    msg_fmt = "Instance group %(group_uuid)s could not be found."


class GroupAffinityViolation(NovaException):
    msg_fmt = "%(policy)s instance group policy was violated"


class RescheduledByPolicyException(RescheduledException):
    msg_fmt = "Build of instance %(instance_uuid)s was re-scheduled: %(reason)s"


class OverQuota(NovaException):
    msg_fmt = "Quota exceeded for resources: %(overs)s"
    code = 413


class TooManyInstances(OverQuota):
    msg_fmt = ("Quota exceeded for %(overs)s: Requested %(req)s, but already used %(used)s "
               "of %(allowed)s %(overs)s")
