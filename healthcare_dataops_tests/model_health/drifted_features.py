"""The synthetic gold table of ``ml/synthetic_features`` with its newest admissions drifted.

What a real change looks like: the lab feed switches creatinine and its companions to SI
units (every lab value and trend times 88.4), and the hospital starts admitting an older
population (15 years older, age bands following): 16 of the 35 features move.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from healthcare_dataops.transforms.features import KEY_LABS

LAB_COLUMNS = tuple(f"{analyte}_{kind}" for analyte in KEY_LABS for kind in ("last", "trend"))
DRIFTED = (*LAB_COLUMNS, "age_at_discharge", "age_band")


def drift_newest(frame: pd.DataFrame, days: int = 30) -> pd.DataFrame:
    """``frame`` with the admissions discharged in its last ``days`` days drifted."""
    drifted = frame.copy()
    newest = drifted["discharged_at"] >= drifted["discharged_at"].max() - pd.Timedelta(days=days)
    drifted.loc[newest, list(LAB_COLUMNS)] *= 88.4
    age = np.minimum(drifted.loc[newest, "age_at_discharge"] + 15, 90)
    drifted.loc[newest, "age_at_discharge"] = age.astype("int32")
    drifted.loc[newest, "age_band"] = np.where(age >= 90, "90+", np.where(age >= 75, "75-89", "65-74"))
    return drifted
