"""Where this process runs, as log fields: ``hostname``, ``container_id``, ``region``.

A fleet's lines need to say which machine wrote them. With ``platform_fields=True`` these
are read once, at ``configure()``, from what the platform shows, without any network
call (first found wins):

- ``region``: ``FLY_REGION``, ``AWS_REGION``, ``AWS_DEFAULT_REGION``;
- ``container_id``: the ECS metadata URI's last segment, a 64-hex ID in
  ``/proc/self/cgroup`` or ``/proc/self/mountinfo`` (Docker, containerd, CRI-O),
  ``FLY_MACHINE_ID``, the Kubernetes downward API's ``POD_UID``;
- ``hostname``: the downward API's ``POD_NAME``, else the host name;
- ``node`` / ``namespace``: the downward API's ``NODE_NAME`` / ``POD_NAMESPACE``.

The same facts go on the OpenTelemetry resource under their semantic-convention names
(``host.name``, ``container.id``, ``cloud.region``…), so metrics carry them too: the
Prometheus exporter serves them once per process as ``target_info``.
"""

from __future__ import annotations

import os
import re
import socket
from collections.abc import Mapping
from pathlib import Path

_CONTAINER_ID = re.compile(
    r"(?:docker|containerd|crio|cri-containerd)[-/:]?([0-9a-f]{64})"
    r"|/([0-9a-f]{64})(?:\.scope)?(?:/|$)"
)
#: Line field -> resource attribute (OpenTelemetry semantic conventions).
RESOURCE_ATTRIBUTES = {
    "hostname": "host.name",
    "container_id": "container.id",
    "region": "cloud.region",
    "node": "k8s.node.name",
    "namespace": "k8s.namespace.name",
}
_ENV_FIELDS = (
    ("region", ("FLY_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")),
    ("node", ("NODE_NAME",)),
    ("namespace", ("POD_NAMESPACE",)),
)


def _first(environ: Mapping[str, str], names: tuple[str, ...]) -> str | None:
    for name in names:
        value = environ.get(name, "").strip()
        if value:
            return value
    return None


def container_id(environ: Mapping[str, str], proc: Path = Path("/proc/self")) -> str | None:
    """This container's ID, from the first place that shows one."""
    ecs = _first(environ, ("ECS_CONTAINER_METADATA_URI_V4", "ECS_CONTAINER_METADATA_URI"))
    if ecs:
        return ecs.rstrip("/").rsplit("/", 1)[-1]
    for name in ("cgroup", "mountinfo"):
        try:
            text = (proc / name).read_text(errors="replace")
        except OSError:
            continue
        found = _CONTAINER_ID.search(text)
        if found:
            return found.group(1) or found.group(2)
    return _first(environ, ("FLY_MACHINE_ID", "POD_UID"))


def platform_fields(
    environ: Mapping[str, str] | None = None, proc: Path = Path("/proc/self")
) -> dict[str, str]:
    """The fields the platform shows; keys it does not show are left out."""
    env = os.environ if environ is None else environ
    fields = {"hostname": _first(env, ("POD_NAME",)) or socket.gethostname()}
    found = container_id(env, proc)
    if found:
        fields["container_id"] = found
    for key, names in _ENV_FIELDS:
        value = _first(env, names)
        if value:
            fields[key] = value
    return fields


def resource_attributes(fields: Mapping[str, str]) -> dict[str, str]:
    """``platform_fields()`` under the resource's semantic-convention names."""
    return {RESOURCE_ATTRIBUTES[key]: value for key, value in fields.items()}
