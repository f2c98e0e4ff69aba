"""Making an installed Nova runnable here, before anything imports it.

Two problems stop Nova's own functional fixtures in a pip-installed Nova,
each before a test starts (../shared/nova-reference.md):

1. The wheel installs api-paste.ini under ``<prefix>/etc/nova/``, while Nova's
   test configuration looks next to the package. oslo.config reads the
   ``OS_WSGI__API_PASTE_CONFIG`` environment variable ahead of the defaults
   Nova's ConfFixture sets (and re-sets for every test), so that is where
   the right path goes. A source checkout (``pip install -e ../nova``) has
   the file where Nova looks, and is left alone.
2. SQLAlchemy 2.1's deprecation warnings are errors under Nova's warnings
   fixture: refuse to start with a clear message instead of an HTTP 500.

Importing Nova's test packages monkey-patches the process with eventlet
(unless ``OS_NOVA_DISABLE_EVENTLET_PATCHING`` is set first), so this runs,
and Nova is imported, only when the nova backend is asked for.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import sys
from pathlib import Path

PASTE_ENV = "OS_WSGI__API_PASTE_CONFIG"
INSTALL_HINT = "pip install -c constraints/nova.txt '.[nova]'"


class NovaUnavailable(Exception):
    """Nova cannot be run here; the message says what to install or fix."""


def prepare() -> None:
    """Check what Nova needs and set the environment it reads; idempotent."""
    if sys.version_info < (3, 11):
        raise NovaUnavailable(
            f"the nova backend needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    for module, dist in (("nova", "nova"), ("placement", "openstack-placement"),
                         ("oslotest", "oslotest"), ("wsgi_intercept", "wsgi-intercept")):
        if importlib.util.find_spec(module) is None:
            raise NovaUnavailable(f"{dist} is not installed: {INSTALL_HINT}")
    sqlalchemy = importlib.metadata.version("SQLAlchemy")
    if tuple(int(p) for p in sqlalchemy.split(".")[:2]) >= (2, 1):
        raise NovaUnavailable(
            f"SQLAlchemy {sqlalchemy} is installed; Nova's tests need < 2.1: {INSTALL_HINT}")
    if PASTE_ENV not in os.environ:
        paste = api_paste_config()
        if paste is not None:
            os.environ[PASTE_ENV] = str(paste)


def nova_version() -> str:
    """The installed Nova's version (a source checkout says what pbr makes of it)."""
    try:
        return importlib.metadata.version("nova")
    except importlib.metadata.PackageNotFoundError:  # on sys.path without metadata
        return "(version unknown)"


def api_paste_config() -> Path | None:
    """Where the installed api-paste.ini is, when Nova would not find it itself."""
    spec = importlib.util.find_spec("nova")
    assert spec is not None and spec.origin is not None
    beside_package = Path(spec.origin).parents[1] / "etc" / "nova" / "api-paste.ini"
    if beside_package.is_file():
        return None
    installed = Path(sys.prefix) / "etc" / "nova" / "api-paste.ini"
    if not installed.is_file():
        raise NovaUnavailable(f"api-paste.ini found neither at {beside_package} nor at "
                              f"{installed}; set {PASTE_ENV} to its path")
    return installed
