"""Typed resources the assets take as parameters, and the one place that builds them."""

from __future__ import annotations

from healthcare_dataops import settings
from healthcare_dataops.resources.lakehouse import LakehouseResource
from healthcare_dataops.resources.landing_zone import LandingZoneResource


def build_resources() -> dict[str, object]:
    """Resources configured from the environment, with local defaults."""
    return {
        "landing_zone": LandingZoneResource(
            root=settings.env_or_default(settings.LANDING_ROOT, settings.default_landing_root())
        ),
        "lakehouse": LakehouseResource(
            root=settings.env_or_default(
                settings.LAKEHOUSE_ROOT, settings.default_lakehouse_root()
            )
        ),
    }


__all__ = ["LakehouseResource", "LandingZoneResource", "build_resources"]
