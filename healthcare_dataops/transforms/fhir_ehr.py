"""Bronze FHIR Patient, Encounter, Condition and MedicationRequest/Statement → the EHR's silver
tables, in the same columns, vocabulary and de-identification as the CSV export's.

Names, addresses but the state and ZIP3, telecom, identifiers but the MRN (pseudonymised),
narrative (``text.div``), notes and every ``display`` of a reference stay in bronze.
"""

from __future__ import annotations

from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from healthcare_dataops.lakehouse.silver_writer import DELETES, DETAIL, REASON, SUPERSEDED, VERSION_AT, Lineage, detail
from healthcare_dataops.privacy import age_band, birth_year, pseudonym, shift_date, shift_days, shift_timestamp, zip3
from healthcare_dataops.transforms import fhir_resources as fr
from healthcare_dataops.transforms.columns import reason
from healthcare_dataops.transforms.ehr import ENCOUNTER_CLASSES
from healthcare_dataops.transforms.fhir_resources import (
    CONCEPT,
    IDENTIFIER,
    PERIOD,
    REFERENCE,
    S,
    element,
    fields,
    many,
)

# US Core's OMB categories → the CSV export's words.
RACES = {"2106-3": "white", "2054-5": "black", "2028-9": "asian", "1002-5": "native", "2076-8": "hawaiian",
         "2131-1": "other"}
ETHNICITIES = {"2135-2": "hispanic", "2186-5": "nonhispanic"}
US_CORE = "http://hl7.org/fhir/us/core/StructureDefinition/"
# v3 ActCode encounter classes → the CSV export's (a wellness visit is AMB in FHIR).
CLASSES = {"IMP": "inpatient", "ACUTE": "inpatient", "NONAC": "inpatient", "AMB": "ambulatory",
           "EMER": "emergency", "HH": "home", "VR": "virtual", "OBSENC": "outpatient", "SS": "outpatient",
           "PRENC": "ambulatory", "FLD": "ambulatory"}
SYSTEMS = {fr.SNOMED: "SNOMED-CT", "http://hl7.org/fhir/sid/icd-10-cm": "ICD-10-CM", fr.RXNORM: "RxNorm"}
assert set(CLASSES.values()) <= set(ENCOUNTER_CLASSES)

_EXTENSION = fields(url=S, valueCode=S, extension=many(fields(url=S, valueCoding=fr.CODING)))
PATIENT = fields(identifier=many(IDENTIFIER), gender=S, birthDate=S, deceasedDateTime=S,
                 deceasedBoolean=T.BooleanType(), address=many(fields(state=S, postalCode=S)),
                 extension=many(_EXTENSION))
ENCOUNTER = fields(**{"class": fr.CODING}, type=many(CONCEPT), subject=REFERENCE, period=PERIOD,
                   reasonCode=many(CONCEPT))
CONDITION = fields(subject=REFERENCE, encounter=REFERENCE, code=CONCEPT, onsetDateTime=S, onsetPeriod=PERIOD,
                   recordedDate=S, abatementDateTime=S, abatementPeriod=PERIOD)
MEDICATION = fields(subject=REFERENCE, encounter=REFERENCE, context=REFERENCE, medicationCodeableConcept=CONCEPT,
                    authoredOn=S, effectiveDateTime=S, effectivePeriod=PERIOD,
                    dispenseRequest=fields(numberOfRepeatsAllowed=T.LongType(), validityPeriod=PERIOD))
MEDICATION_TYPES = ("MedicationRequest", "MedicationStatement")


def resource_lineage(*columns: str) -> Lineage:
    """Every silver column from the resource's JSON; the lineage columns from bronze's own."""
    return {
        **dict.fromkeys(columns, ((fr.FHIR_RESOURCES, "resource_json"),)),
        "source_file_sha256": ((fr.FHIR_RESOURCES, "source_file_sha256"),),
        "source_position": ((fr.FHIR_RESOURCES, "source_record"), (fr.FHIR_RESOURCES, "source_entry")),
        "delivery_date": ((fr.FHIR_RESOURCES, "delivery_date"),),
    }


def mapped(column, mapping: dict[str, str]):
    return F.coalesce(*[F.when(column == k, F.lit(v)) for k, v in mapping.items()]) if mapping else column


def _extension(url: str):
    return fr.first(F.filter(element("extension"), lambda e: e.getField("url") == url))


def _omb(url: str):
    inner = _extension(url).getField("extension")
    category = fr.first(F.filter(inner, lambda e: e.getField("url") == "ombCategory"))
    return category.getField("valueCoding").getField("code")


PATIENTS_LINEAGE = resource_lineage("patient_id", "sex", "birth_year", "age_band", "race", "ethnicity", "state",
                                     "zip3", "is_deceased", "deceased_date")


def conform_patients(batch) -> DataFrame:
    rows = fr.parse(fr.versioned(batch, ("Patient",)), PATIENT)
    mrn = F.coalesce(fr.medical_record_number(element("identifier")), F.col("resource_id"))
    rows = rows.withColumn("patient_id", pseudonym(mrn, batch.key, "patient"))
    born = F.to_date(fr.timestamp(element("birthDate")))
    birth_sex = F.upper(F.trim(_extension(US_CORE + "us-core-birthsex").getField("valueCode")))
    gender = mapped(F.lower(F.trim(element("gender"))), {"male": "M", "female": "F"})
    sex = F.coalesce(F.when(birth_sex.isin("M", "F"), birth_sex), gender, F.lit("U"))
    address = fr.first(element("address"))
    return rows.select(
        "patient_id",
        sex.alias("sex"),
        birth_year(born, F.col("delivery_date")).alias("birth_year"),
        age_band(born, F.col("delivery_date")).alias("age_band"),
        mapped(_omb(US_CORE + "us-core-race"), RACES).alias("race"),
        mapped(_omb(US_CORE + "us-core-ethnicity"), ETHNICITIES).alias("ethnicity"),
        F.trim(address.getField("state")).alias("state"),
        zip3(address.getField("postalCode")).alias("zip3"),
        (element("deceasedDateTime").isNotNull() | F.coalesce(element("deceasedBoolean"), F.lit(False)))
        .alias("is_deceased"),
        # Shifted like the CSV's deathdate (the readmission cohort leaves out stays ending in
        # death); a deceasedBoolean alone has no date.
        shift_date(F.to_date(fr.timestamp(element("deceasedDateTime"))),
                   shift_days(F.col("patient_id"), batch.key)).alias("deceased_date"),
        *fr.provenance(),
        *version_columns(),
        reason(
            (F.col(fr.VERSION_PROBLEM).isNotNull(), "deletes a resource bronze never received"),
            (F.col("patient_id").isNull(), "no patient id or MRN"),
            (born.isNull(), "birth date missing or not a date"),
            (born > F.col("delivery_date"), "birth date after the export day"),
        ).alias(REASON),
        detail(has_birthdate=element("birthDate").isNotNull(), gender=sex).alias(DETAIL),
    )


def version_columns():
    """The columns ``outcomes`` reads to keep the newest version and apply deletes."""
    return [F.col(c) for c in (VERSION_AT, SUPERSEDED, DELETES)]


def linked(batch, resource_types: tuple[str, ...], schema, subject: str = "subject") -> DataFrame:
    """The batch's resources parsed, with the subject's ``patient_id`` and date ``_shift``."""
    rows = fr.with_patient(fr.parse(fr.versioned(batch, resource_types), schema), element(subject),
                           fr.patient_keys(batch))
    rows = rows.withColumn("patient_id", pseudonym(F.col("_patient_mrn"), batch.key, "patient"))
    return rows.withColumn("_shift", shift_days(F.col("patient_id"), batch.key))


def subject_rules():
    return [
        (F.col(fr.VERSION_PROBLEM).isNotNull(), "deletes a resource bronze never received"),
        (F.col("patient_id").isNull(), "subject is no Patient bronze holds (a dangling reference)"),
    ]


ENCOUNTERS_LINEAGE = resource_lineage("encounter_id", "patient_id", "encounter_class", "code", "description",
                                       "reason_code", "start_at", "end_at", "length_of_stay_hours")


def conform_encounters(batch) -> DataFrame:
    rows = linked(batch, ("Encounter",), ENCOUNTER)
    start = fr.timestamp(element("period", "start"))
    end = fr.timestamp(element("period", "end"))
    class_code = F.upper(F.trim(element("class", "code")))
    encounter_class = mapped(class_code, CLASSES)
    kind = fr.first(element("type"))
    return rows.select(
        pseudonym(F.col("resource_id"), batch.key, "encounter").alias("encounter_id"),
        "patient_id",
        encounter_class.alias("encounter_class"),
        fr.code_of(kind, fr.SNOMED).alias("code"),
        fr.display_of(kind, fr.SNOMED).alias("description"),
        fr.code_of(fr.first(element("reasonCode"))).alias("reason_code"),
        shift_timestamp(start, F.col("_shift")).alias("start_at"),
        shift_timestamp(end, F.col("_shift")).alias("end_at"),
        ((F.unix_timestamp(end) - F.unix_timestamp(start)) / 3600.0).alias("length_of_stay_hours"),
        *fr.provenance(),
        *version_columns(),
        reason(
            *subject_rules(),
            (F.col("resource_id").isNull(), "no Encounter id"),
            (start.isNull(), "period.start missing or not a dateTime"),
            (element("period", "end").isNotNull() & end.isNull(), "period.end is not a dateTime"),
            (end < start, "period ends before it starts"),
            (encounter_class.isNull(), "unknown encounter class"),
        ).alias(REASON),
        detail(encounter_class=class_code, code=fr.code_of(kind)).alias(DETAIL),
    )


CONDITIONS_LINEAGE = resource_lineage("patient_id", "encounter_id", "system", "code", "description", "onset_date",
                                       "resolved_date")


def conform_conditions(batch) -> DataFrame:
    rows = linked(batch, ("Condition",), CONDITION)
    onset = F.to_date(fr.timestamp(element("onsetDateTime"), element("onsetPeriod", "start"), element("recordedDate")))
    resolved = F.to_date(fr.timestamp(element("abatementDateTime"), element("abatementPeriod", "end")))
    system = fr.coding(element("code")).getField("system")
    return rows.select(
        "patient_id",
        pseudonym(fr.referenced_id(element("encounter"), "Encounter"), batch.key, "encounter").alias("encounter_id"),
        F.coalesce(mapped(system, SYSTEMS), system).alias("system"),
        fr.code_of(element("code")).alias("code"),
        fr.display_of(element("code")).alias("description"),
        shift_date(onset, F.col("_shift")).alias("onset_date"),
        shift_date(resolved, F.col("_shift")).alias("resolved_date"),
        *fr.provenance(),
        *version_columns(),
        reason(
            *subject_rules(),
            (fr.code_of(element("code")).isNull(), "no condition code"),
            (onset.isNull(), "no onset or recorded date"),
        ).alias(REASON),
        detail(code=fr.code_of(element("code"))).alias(DETAIL),
    )


MEDICATIONS_LINEAGE = resource_lineage("patient_id", "encounter_id", "code", "description", "start_at", "stop_at",
                                        "dispenses")


def conform_medications(batch) -> DataFrame:
    rows = linked(batch, MEDICATION_TYPES, MEDICATION)
    medication = element("medicationCodeableConcept")
    start = fr.timestamp(element("authoredOn"), element("effectivePeriod", "start"), element("effectiveDateTime"))
    stop = fr.timestamp(element("dispenseRequest", "validityPeriod", "end"), element("effectivePeriod", "end"))
    encounter = F.coalesce(fr.referenced_id(element("encounter"), "Encounter"),
                           fr.referenced_id(element("context"), "Encounter"))
    repeats = element("dispenseRequest", "numberOfRepeatsAllowed")
    return rows.select(
        "patient_id",
        pseudonym(encounter, batch.key, "encounter").alias("encounter_id"),
        fr.code_of(medication, fr.RXNORM).alias("code"),
        fr.display_of(medication, fr.RXNORM).alias("description"),
        shift_timestamp(start, F.col("_shift")).alias("start_at"),
        shift_timestamp(stop, F.col("_shift")).alias("stop_at"),
        # The first fill and its repeats, as the CSV's DISPENSES counts them.
        F.when((repeats >= 0) & (repeats < 1_000_000), (repeats + 1).cast("int")).alias("dispenses"),
        *fr.provenance(),
        *version_columns(),
        reason(
            *subject_rules(),
            (fr.code_of(medication).isNull(), "no medication code (medicationCodeableConcept)"),
            (start.isNull(), "no authoredOn or effective time"),
        ).alias(REASON),
        detail(code=fr.code_of(medication), resource_type=F.col("resource_type")).alias(DETAIL),
    )
