"""Every view of the warehouse, in the order they are created.

Base views come before the roll-ups that read them; dropping in the reverse order removes
dependants first. Within the base layer the order is that of the views' first migrations,
whose reverse also drops the views as those migrations left them (there, `register` read
`register_in_force`), so a warehouse made by them upgrades cleanly.
"""

from __future__ import annotations

from typing import Final

from warehouse.views.calendar import CALENDAR_VIEWS
from warehouse.views.current import RETURN_VIEWS
from warehouse.views.data_quality import data_quality
from warehouse.views.lineage import lineage
from warehouse.views.rollups import NATIONAL_VIEWS
from warehouse.views.submission_tracker import submission_tracker
from warehouse.views.view import View

ALL_VIEWS: Final[tuple[View, ...]] = (
    *RETURN_VIEWS,
    *CALENDAR_VIEWS,
    *NATIONAL_VIEWS,
    submission_tracker,
    data_quality,
    lineage,
)

VIEWS_BY_NAME: Final = {view.name: view for view in ALL_VIEWS}
