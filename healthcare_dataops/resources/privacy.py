"""The key behind every pseudonym and date shift."""

from __future__ import annotations

import dagster as dg

from healthcare_dataops.privacy import keys


class PseudonymizationResource(dg.ConfigurableResource):
    """One key for all three sources, so a patient's pseudonym joins across them.

    Set ``HEALTHCARE_DATAOPS_PSEUDONYM_KEY`` in every real deployment. Without it the clearly
    labelled development key is used, with a warning: fine for generated data, never for PHI.
    """

    key: str = keys.DEVELOPMENT_KEY

    def key_bytes(self, log=None) -> bytes:
        if keys.is_development_key(self.key) and log is not None:
            log.warning(
                f"{keys.PSEUDONYM_KEY_ENV} is not set: pseudonyms use the DEVELOPMENT key, "
                "which is public. Set the variable before processing real patient data."
            )
        return keys.key_bytes(self.key)
