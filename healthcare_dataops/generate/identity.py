"""Names, addresses and identifiers: the PHI a hospital export carries, all fake."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from . import names
from .seeding import stream


@dataclass(frozen=True)
class Identity:
    prefix: str
    first: str
    middle: str
    last: str
    suffix: str
    maiden: str
    marital: str
    race: str
    ethnicity: str
    birthplace: str
    street: str
    city: str
    county: str
    fips: str
    zip: str
    lat: str
    lon: str
    phone: str
    ssn: str
    drivers: str
    passport: str
    income: int
    expenses: str
    coverage: str
    smoking: str
    household: int


def _weighted(u: float, weights: tuple[float, ...]) -> int:
    total = 0.0
    for k, w in enumerate(weights):
        total += w
        if u < total:
            return k
    return len(weights) - 1


@lru_cache(maxsize=16384)
def identity(seed: int, index: int, female: bool, birth_ordinal: int) -> Identity:
    # One batch of uniforms per person: a draw per attribute would cost ten times as much.
    u = stream(seed, "identity", index).random(32).tolist()
    pick = lambda seq, x: seq[int(x * len(seq))]  # noqa: E731
    age = (dt.date(2026, 1, 1).toordinal() - birth_ordinal) / 365.25  # only decides who may be married
    given = names.FEMALE_FIRST if female else names.MALE_FIRST
    marital = names.MARITAL[_weighted(u[3], (0.5, 0.2, 0.15, 0.15) if age > 30 else (0.2, 0.75, 0.05, 0.0))]
    maiden = pick(names.LAST, u[5]) if female and marital != "S" and u[4] < 0.6 else ""
    race = names.RACES[_weighted(u[7], names.RACE_WEIGHTS)]
    place = pick(names.MA_PLACES, u[9])
    street = f"{1 + int(u[10] * 2399)} {pick(names.STREETS, u[11])} {pick(names.STREET_SUFFIXES, u[12])}"
    if u[13] < 0.35:
        street += f" {pick(names.UNIT_KINDS, u[14])} {1 + int(u[15] * 98)}"
    d = "".join(str(int(x * 10)) for x in u[16:28])
    e = "".join(str(int(x * 100) % 10) for x in u[16:28])
    return Identity(
        prefix=("Mrs." if maiden else "Ms.") if female else "Mr.",
        first=pick(given, u[0]), middle=pick(given, u[1]) if u[1] < 0.7 else "",
        last=pick(names.LAST, u[2]), maiden=maiden,
        suffix=pick(("Jr.", "Sr.", "III"), u[6] * 25) if not female and u[6] < 0.04 else "",
        marital=marital, race="white" if race == "hispanic" else race,
        ethnicity="hispanic" if race == "hispanic" or u[8] < 0.05 else "nonhispanic",
        birthplace=pick(names.BIRTHPLACES, u[28]), street=street, city=place[0],
        county=place[1], fips=place[2], zip=place[3],
        lat=f"{place[4] + (u[29] - 0.5) * 0.05:.6f}", lon=f"{place[5] + (u[30] - 0.5) * 0.05:.6f}",
        phone=f"555-0{d[0]}{d[1]}-{d[2:6]}", ssn=f"999-{d[6:8]}-{e[0:4]}",
        drivers=f"S99{e[4:10]}" if u[31] < 0.85 else "",
        passport=f"X{d[4:12]}X" if u[31] < 0.4 else "",
        income=int(18000 + 160000 * u[20] ** 2), expenses=f"{2000 + 240000 * u[21] * u[22]:.2f}",
        coverage=f"{1000 + 90000 * u[23] * u[24]:.2f}",
        smoking=names.SMOKING[_weighted(u[25], names.SMOKING_WEIGHTS)],
        household=1 + int(u[26] * 5),
    )
