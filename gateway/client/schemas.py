"""Where the client finds the schemas, the version registry and the nomenclature.

A provider installs the gateway's package and has no ``schemas`` folder of its own: by
default the client uses the schemas installed with the package (``share/gateway/schemas``
under the environment, from the wheel), or, in a source checkout, the repository's
``schemas/``. ``paths.schemas`` set to a folder that holds them wins.
"""

from __future__ import annotations

import sys
from pathlib import Path

from gateway.client.errors import ClientError

#: files every schemas folder has
MARKERS = ("versions.toml", "response-1.0.xsd", "nomenclature.csv")


def is_schemas_folder(path: Path) -> bool:
    """Whether ``path`` holds the schemas (its registry, response schema and nomenclature)."""
    return all((path / name).is_file() for name in MARKERS)


def candidates() -> list[Path]:
    """Where installed schemas may be, in order."""
    package = Path(__file__).resolve().parents[1]
    return [Path(sys.prefix) / "share" / "gateway" / "schemas", package.parent / "schemas"]


def installed_schemas() -> Path:
    """The schemas installed with the gateway; raises :class:`ClientError` when none are."""
    for path in candidates():
        if is_schemas_folder(path):
            return path
    raise ClientError(
        "no schemas installed with the gateway: set paths.schemas to the folder of the schemas",
        code="CLT-SCHEMAS",
        looked_in=[str(p) for p in candidates()],
    )
