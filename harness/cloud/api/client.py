"""A client with the method names of Nova's functional test client
(nova/tests/functional/api/client.py, TestOpenStackClient), in process.

Every request crosses the bus to the ``osapi_compute`` topic, so the trace
starts where a user's request starts. Error responses raise
OpenStackApiException carrying the response, as Nova's client does.
"""

from __future__ import annotations

from typing import Any

from harness.cloud.api.openstack import ApiResponse
from harness.cloud.context import RequestContext
from harness.cloud.rpc import RPCClient, short_id

API_TOPIC = "osapi_compute"


class OpenStackApiException(Exception):
    def __init__(self, message: str, response: ApiResponse) -> None:
        super().__init__(message)
        self.response = response


class TestOpenStackClient:
    __test__ = False  # Not a test class, despite Nova's name for it.

    def __init__(self, rpc: RPCClient, context: RequestContext,
                 microversion: str = "latest") -> None:
        self.rpc = rpc
        self.context = context
        self.microversion = microversion

    def _request(self, method: str, trace: dict[str, Any], **kwargs: Any) -> Any:
        response: ApiResponse = self.rpc.call(API_TOPIC, method, trace=trace,
                                              context=self.context.new_request(),
                                              microversion=self.microversion, **kwargs)
        if response.status_code >= 400:
            message = next(iter(response.body.values()))["message"]
            raise OpenStackApiException(
                f"Unexpected status code {response.status_code}: {message}", response)
        return response.body

    def post_server(self, server: dict[str, Any]) -> dict[str, Any]:
        # Any body goes to the API, which judges it; the trace takes what it can.
        inner = server.get("server") if isinstance(server, dict) else None
        name = inner.get("name") if isinstance(inner, dict) else None
        body = self._request("post_server", {"name": name}, body=server)
        return body.get("server", body)

    def get_server(self, server_id: str) -> dict[str, Any]:
        return self._request("get_server", {"server": server_id},
                             server_id=server_id)["server"]

    def delete_server(self, server_id: str) -> None:
        self._request("delete_server", {"server": server_id}, server_id=server_id)

    def get_servers(self, detail: bool = True, search_opts: dict[str, Any] | None = None
                    ) -> list[dict[str, Any]]:
        return self._request("get_servers", dict(search_opts or {}),
                             search_opts=dict(search_opts or {}))["servers"]

    def post_server_action(self, server_id: str, data: dict[str, Any]) -> None:
        action = next(iter(data), None) if isinstance(data, dict) else None
        params = data[action] if action is not None else None
        trace = {"server": short_id(server_id), "action": action,
                 **(params if isinstance(params, dict) else {})}
        return self._request("post_server_action", trace, server_id=server_id, body=data)

    def get_migrations(self, search_opts: dict[str, Any] | None = None
                       ) -> list[dict[str, Any]]:
        return self._request("get_migrations", dict(search_opts or {}),
                             search_opts=dict(search_opts or {}))["migrations"]

    def get_instance_actions(self, server_id: str) -> list[dict[str, Any]]:
        return self._request("get_instance_actions", {"server": server_id},
                             server_id=server_id)["instanceActions"]

    def get_instance_action_details(self, server_id: str, request_id: str
                                    ) -> dict[str, Any]:
        return self._request("get_instance_action_details", {"server": server_id},
                             server_id=server_id, request_id=request_id)["instanceAction"]

    def post_server_groups(self, group: dict[str, Any]) -> dict[str, Any]:
        """Nova's client takes the group's own keys and wraps them."""
        return self._request("post_server_group", {"name": group.get("name")},
                             body={"server_group": group})["server_group"]

    def get_server_group(self, group_id: str) -> dict[str, Any]:
        return self._request("get_server_group", {"group": group_id},
                             group_id=group_id)["server_group"]

    def get_server_groups(self) -> list[dict[str, Any]]:
        return self._request("get_server_groups", {})["server_groups"]

    def delete_server_group(self, group_id: str) -> None:
        self._request("delete_server_group", {"group": group_id}, group_id=group_id)

    def get_services(self, host: str | None = None, binary: str | None = None
                     ) -> list[dict[str, Any]]:
        opts = {k: v for k, v in (("host", host), ("binary", binary)) if v}
        return self._request("get_services", opts, search_opts=opts)["services"]

    def put_service(self, service_id: str, req: dict[str, Any]) -> dict[str, Any]:
        return self._request("put_service", {"service": service_id, **req},
                             service_id=service_id, body=req)["service"]

    def post_flavor(self, flavor: dict[str, Any]) -> dict[str, Any]:
        return self._request("post_flavor", {"name": flavor["flavor"]["name"]},
                             body=flavor)["flavor"]
