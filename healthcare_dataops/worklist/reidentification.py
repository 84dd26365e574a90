"""Opt-in re-identification: a pseudonym's MRN, looked up in bronze for a signed-in user of an
allowed role, each attempt audited first.

The user and their roles come from the login proxy in front of the worklist (oauth2-proxy's
``X-Forwarded-Email`` and ``X-Forwarded-Groups`` by default), which is why the worklist binds
127.0.0.1 and must only be reached through that proxy. The MRN is the EHR's patient Id, the
value silver's pseudonym is the keyed HMAC of (``privacy.pseudonyms``): the lookup recomputes
the pseudonym of each Id in bronze ``ehr_patients`` with the same key, so no mapping table of
pseudonyms to MRNs is ever kept.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass

from healthcare_dataops import settings
from healthcare_dataops.lakehouse import delta_tables
from healthcare_dataops.privacy import pseudonym_of
from healthcare_dataops.worklist import audit

BRONZE_PATIENTS = "ehr_patients"


@dataclass(frozen=True)
class ReidentificationSettings:
    enabled: bool = False
    allowed_roles: tuple[str, ...] = (settings.DEFAULT_REIDENTIFICATION_ROLES,)
    user_header: str = settings.DEFAULT_WORKLIST_USER_HEADER
    groups_header: str = settings.DEFAULT_WORKLIST_GROUPS_HEADER

    @classmethod
    def from_environment(cls, env: Mapping[str, str] = os.environ) -> ReidentificationSettings:
        switch = (env.get(settings.REIDENTIFICATION) or "off").strip().lower()
        if switch not in ("on", "off"):
            raise ValueError(f"{settings.REIDENTIFICATION}={switch!r} is neither 'on' nor 'off'")
        roles = env.get(settings.REIDENTIFICATION_ROLES) or settings.DEFAULT_REIDENTIFICATION_ROLES
        return cls(
            enabled=switch == "on",
            allowed_roles=tuple(r.strip() for r in roles.split(",") if r.strip()),
            user_header=env.get(settings.WORKLIST_USER_HEADER) or settings.DEFAULT_WORKLIST_USER_HEADER,
            groups_header=env.get(settings.WORKLIST_GROUPS_HEADER) or settings.DEFAULT_WORKLIST_GROUPS_HEADER,
        )


@dataclass(frozen=True)
class Answer:
    mrn: str | None
    message: str


class Reidentifier:
    def __init__(self, config: ReidentificationSettings, *, bronze_patients_uri: str, audit_uri: str,
                 key: bytes, storage_options: dict[str, str]):
        self.config = config
        self._patients_uri, self._audit_uri = bronze_patients_uri, audit_uri
        self._key, self._storage = key, storage_options

    def lookup(self, pseudonym: str, headers: Mapping[str, str], now: dt.datetime | None = None) -> Answer:
        if not self.config.enabled:
            return Answer(None, "Re-identification is off for this worklist.")
        user = (headers.get(self.config.user_header) or "").strip()
        roles = tuple(g.strip() for g in (headers.get(self.config.groups_header) or "").split(",") if g.strip())
        if not user:
            outcome = "refused: not signed in"
        elif not set(roles) & set(self.config.allowed_roles):
            outcome = "refused: role not allowed"
        else:
            outcome = None
        mrn = self._mrn_of(pseudonym) if outcome is None else None
        outcome = outcome or ("found" if mrn else "not found")
        # Recorded before anything is shown: a lookup the audit cannot hold is not answered.
        audit.record(self._audit_uri, audit.Lookup(user or "(anonymous)", roles, pseudonym, outcome,
                                                   now or dt.datetime.now(dt.UTC)), self._storage)
        if outcome.startswith("refused"):
            allowed = ", ".join(self.config.allowed_roles)
            return Answer(None, f"Not shown: {outcome.removeprefix('refused: ')} (allowed roles: {allowed}).")
        return Answer(mrn, f"MRN {mrn} (this lookup is audited)" if mrn else "No MRN found in bronze for this patient.")

    def _mrn_of(self, pseudonym: str) -> str | None:
        for batch in delta_tables.read_batches(self._patients_uri, ["id"], self._storage):
            for value in batch.column("id").to_pylist():
                if pseudonym_of(value, self._key, "patient") == pseudonym:
                    return value.strip()
        return None
