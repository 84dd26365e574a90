"""Each feed's tables: rows written and quarantined per delivery day, the quarantine rate's usual
band, and how long since the table was last written (its freshness)."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

import dagster as dg

from healthcare_dataops.pipeline_status import links
from healthcare_dataops.pipeline_status.catalog import Catalog, FeedTable

# Materializations read per table: a day's run and its re-runs; two months of days at most.
HISTORY_RECORDS = 90
# The usual band needs a few earlier days; before that the rate has no band to leave.
MIN_DAYS_FOR_BAND = 3
# A quarantine rate above mean + this many standard deviations of the earlier days is unusual;
# the floor keeps a feed that never quarantined from alerting on its first bad record.
BAND_DEVIATIONS, BAND_FLOOR = 3.0, 0.01


@dataclass(frozen=True)
class DeliveryDay:
    """What one delivery day wrote into a table (its newest materialization of that day)."""

    day: str
    rows_written: int
    rows_quarantined: int

    @property
    def quarantine_rate(self) -> float:
        total = self.rows_written + self.rows_quarantined
        return self.rows_quarantined / total if total else 0.0


@dataclass(frozen=True)
class TableStatus:
    table: FeedTable
    last_materialized_at: float | None = None  # Unix time
    days: tuple[DeliveryDay, ...] = field(default=())  # oldest first

    @property
    def newest_day(self) -> DeliveryDay | None:
        return self.days[-1] if self.days else None

    @property
    def usual_quarantine_rate_upper(self) -> float | None:
        """The top of the quarantine rate's usual band, from the days before the newest."""
        earlier = [d.quarantine_rate for d in self.days[:-1]]
        if len(earlier) < MIN_DAYS_FOR_BAND:
            return None
        return max(statistics.fmean(earlier) + BAND_DEVIATIONS * statistics.pstdev(earlier),
                   max(earlier), BAND_FLOOR)

    def freshness_lag_seconds(self, now: float) -> float | None:
        return None if self.last_materialized_at is None else max(now - self.last_materialized_at, 0.0)


@dataclass(frozen=True)
class FeedStatus:
    """One source (ehr, labs, wearables) as the worklist shows it."""

    source: str
    last_delivery_at: float | None
    newest_day: str | None
    rows_written: int
    rows_quarantined: int
    dagster_url: str

    @property
    def quarantine_rate(self) -> float | None:
        total = self.rows_written + self.rows_quarantined
        return self.rows_quarantined / total if total else None


def table_status(instance: dg.DagsterInstance, table: FeedTable) -> TableStatus:
    records = instance.fetch_materializations(dg.AssetKey(table.name), limit=HISTORY_RECORDS).records
    if not records:
        return TableStatus(table)
    by_day: dict[str, DeliveryDay] = {}
    for record in records:  # newest first: a day's newest materialization wins
        day = record.asset_materialization.partition
        metadata = record.asset_materialization.metadata
        if day is None or day in by_day or "dagster/row_count" not in metadata:
            continue
        quarantined = metadata.get("rows_quarantined")
        by_day[day] = DeliveryDay(day, int(metadata["dagster/row_count"].value),
                                  int(quarantined.value) if quarantined is not None else 0)
    return TableStatus(table, records[0].timestamp, tuple(by_day[d] for d in sorted(by_day)))


def table_statuses(instance: dg.DagsterInstance, catalog: Catalog) -> list[TableStatus]:
    return [table_status(instance, table) for table in catalog.tables]


def feed_statuses(statuses: list[TableStatus]) -> list[FeedStatus]:
    """Per source: its bronze tables' newest delivery, and the newest day's rows and
    quarantined rows over its bronze and silver tables."""
    feeds = []
    for source in sorted({s.table.source for s in statuses}):
        mine = [s for s in statuses if s.table.source == source]
        bronze = [s for s in mine if s.table.layer == "bronze" and s.last_materialized_at is not None]
        days = [s.newest_day.day for s in mine if s.newest_day]
        newest = max(days) if days else None
        of_day = [d for s in mine for d in s.days if d.day == newest]
        freshest = max(bronze, key=lambda s: s.last_materialized_at, default=None)
        feeds.append(FeedStatus(
            source=source,
            last_delivery_at=freshest.last_materialized_at if freshest else None,
            newest_day=newest,
            rows_written=sum(d.rows_written for d in of_day),
            rows_quarantined=sum(d.rows_quarantined for d in of_day),
            dagster_url=links.asset_page(freshest.table.name if freshest else mine[0].table.name),
        ))
    return feeds
