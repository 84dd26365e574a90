"""The EHR's daily Synthea CSV export: five files a day, and the device enrollment CSV."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from healthcare_dataops.formats.records import ENROLLMENT_COLUMNS
from healthcare_dataops.landing_layout import EHR, EHR_TABLES, ENROLLMENT_FILE_NAME, WEARABLES, day_folder

from .ehr_rows import header
from .ledger import AtomicText, FileRecord, relative

ENROLLMENT_TABLE = "device_enrollment"


class CsvFile:
    def __init__(self, root: Path, path: Path, table: str, columns: list[str]):
        self.file = AtomicText(path)
        self.writer = csv.writer(self.file, lineterminator="\n")
        self.writer.writerow(columns)
        self.record = FileRecord(relative(root, path), table)

    def write(self, row: list[str]) -> None:
        text = ",".join(row)
        # Plain join is three times faster than the csv module; quote only where needed.
        if text.count(",") != len(row) - 1 or '"' in text or "\n" in text or "\r" in text:
            self.writer.writerow(row)
        else:
            self.file.write(text + "\n")
        self.record.rows += 1

    def close(self) -> FileRecord:
        self.file.close()
        return self.record


class EhrDay:
    """One day's export, written row by row as the simulation produces it."""

    def __init__(self, root: Path, day: dt.date):
        folder = root / day_folder(EHR, day)
        self.files = {t: CsvFile(root, folder / f"{t}.csv", t, header(t)) for t in EHR_TABLES}

    def write(self, table: str, row: list[str]) -> None:
        self.files[table].write(row)

    def close(self) -> list[FileRecord]:
        return [f.close() for f in self.files.values()]


def enrollment_file(root: Path, day: dt.date) -> CsvFile:
    path = root / day_folder(WEARABLES, day) / ENROLLMENT_FILE_NAME
    return CsvFile(root, path, ENROLLMENT_TABLE, [c.upper() for c in ENROLLMENT_COLUMNS])
