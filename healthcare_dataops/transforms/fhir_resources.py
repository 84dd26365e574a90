"""What every FHIR transform shares: the JSON read on the engine, versions, deletes, references.

Bronze keeps each resource's JSON; a transform reads the elements it maps with ``from_json``
and an explicit schema, never a coding's ``text``, a ``note``, ``text.div`` or a reference's
``display`` (free text and names stay in bronze). A resource delivered again replaces its
older version when its ``meta.lastUpdated`` (then its delivery) is newer; ``versioned`` marks
the rows bronze already holds a newer version of, and gives a delete (a bundle entry with
``request.method`` DELETE) the content of the version it deletes, so that its transform finds
the silver key to remove. References (``Patient/123``, absolute URLs, ``urn:uuid:`` of a
bundle's ``fullUrl``, a logical reference by identifier) are resolved against every Patient
bronze holds: a patient is keyed by its MRN (the identifier of type MR), as the EHR's CSV
export and the labs' HL7 key it, so one patient is one pseudonym whichever feed brought it.
"""

from __future__ import annotations

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F
from pyspark.sql import types as T

from healthcare_dataops.lakehouse import spark_tables
from healthcare_dataops.lakehouse.silver_writer import DELETES, SUPERSEDED, VERSION_AT
from healthcare_dataops.transforms.timestamps import iso_timestamp

FHIR_RESOURCES = "fhir_resources"
PARSED = "_resource"
VERSION_PROBLEM = "_version_problem"
S = T.StringType()
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def fields(**kinds: T.DataType) -> T.StructType:
    return T.StructType([T.StructField(name, kind) for name, kind in kinds.items()])


def many(kind: T.DataType) -> T.ArrayType:
    return T.ArrayType(kind)


CODING = fields(system=S, code=S, display=S)
CONCEPT = fields(coding=many(CODING))  # never its text: what a clinician typed
REFERENCE = fields(reference=S, identifier=fields(system=S, value=S))
PERIOD = fields(start=S, end=S)
QUANTITY = fields(value=T.DoubleType(), unit=S, system=S, code=S)
IDENTIFIER = fields(type=CONCEPT, system=S, value=S)


def parse(raw: DataFrame, schema: T.StructType) -> DataFrame:
    """``raw`` with the resource's elements of ``schema`` in the struct column ``PARSED``."""
    return raw.select("*", F.from_json(F.col("resource_json"), schema).alias(PARSED))


def element(*path: str) -> Column:
    column = F.col(PARSED)
    for name in path:
        column = column.getField(name)
    return column


def first(array: Column) -> Column:
    """An array's first element; null for a null or empty one (``[0]`` raises under ANSI mode)."""
    return F.get(array, 0)


def coding(concept: Column, system: str | None = None) -> Column:
    """The concept's first coding (of ``system``)."""
    codings = concept.getField("coding")
    return first(F.filter(codings, lambda c: c.getField("system") == system) if system else codings)


def code_of(concept: Column, system: str | None = None) -> Column:
    """The code of the concept's first coding of ``system``, else of its first coding at all."""
    first = coding(concept).getField("code")
    return F.trim(F.coalesce(coding(concept, system).getField("code"), first) if system else first)


def display_of(concept: Column, system: str | None = None) -> Column:
    """A code's display name (terminology, not free text), as the CSV's DESCRIPTION."""
    first = coding(concept).getField("display")
    return F.coalesce(coding(concept, system).getField("display"), first) if system else first


def timestamp(*texts: Column) -> Column:
    """The first of ``texts`` that is a FHIR date or dateTime, as a UTC timestamp."""
    return F.coalesce(*[iso_timestamp(text) for text in texts])


def provenance() -> list[Column]:
    """Silver's lineage columns: file hash, ``record N`` or ``record N, entry M``, delivery day."""
    entry = F.when(F.col("source_entry").isNotNull(),
                   F.concat(F.lit(", entry "), F.col("source_entry").cast("string"))).otherwise(F.lit(""))
    return [
        F.col("source_file_sha256"),
        F.concat(F.lit("record "), F.col("source_record").cast("string"), entry).alias("source_position"),
        F.col("delivery_date"),
    ]


def history(batch, resource_types: tuple[str, ...]) -> DataFrame:
    """Every bronze row of ``resource_types``, all delivery days."""
    uri = batch.lakehouse.table_uri("bronze", FHIR_RESOURCES)
    return spark_tables.read(batch.session, uri).where(F.col("resource_type").isin(*resource_types))


def _newest_first() -> list[Column]:
    return [F.col(VERSION_AT).desc(), F.col("delivery_date").desc(), F.col("source_file_sha256").desc(),
            F.col("source_record").desc(), F.col("source_entry").desc_nulls_first()]


def _with_version_at(frame: DataFrame) -> DataFrame:
    delivered_by = F.date_add(F.col("delivery_date"), 1).cast("timestamp")
    return frame.withColumn(VERSION_AT, F.coalesce(iso_timestamp(F.col("last_updated")), delivered_by))


def versioned(batch, resource_types: tuple[str, ...]) -> DataFrame:
    """The batch's rows with ``_version_at``, ``_superseded`` (bronze holds a newer version of
    the resource, on any day), ``_deletes``, and for a delete the JSON of the version it
    deletes (``_version_problem`` where bronze holds none)."""
    raw = _with_version_at(batch.raw)
    identity = ["resource_type", "resource_id"]
    ids = raw.where(F.col("resource_id").isNotNull()).select(*identity).distinct()
    past = _with_version_at(history(batch, resource_types).join(ids, identity, "left_semi"))
    newest = (past.withColumn("_rank", F.row_number().over(Window.partitionBy(*identity).orderBy(*_newest_first())))
              .where(F.col("_rank") == 1)
              .select(*identity, *[F.col(c).alias(f"_newest_{c}") for c in
                                   ("source_file_sha256", "source_record", "source_entry", "delivery_date")]))
    same = [F.col(c).eqNullSafe(F.col(f"_newest_{c}"))
            for c in ("source_file_sha256", "source_record", "source_entry", "delivery_date")]
    rows = raw.join(newest, identity, "left").select(
        *raw.columns,
        (F.col("_newest_source_file_sha256").isNotNull() & ~(same[0] & same[1] & same[2] & same[3])).alias(SUPERSEDED),
        F.coalesce(F.col("request_method") == "DELETE", F.lit(False)).alias(DELETES),
    )
    # Checked on the batch's own rows: the join with history is computed once, when staged.
    if not batch.raw.where(F.col("request_method") == "DELETE").limit(1).collect():
        return rows.withColumn(VERSION_PROBLEM, F.lit(None).cast("string"))
    deleted = rows.where(F.col(DELETES)).select(*identity).distinct()
    stored = past.where(F.coalesce(F.col("request_method"), F.lit("")) != "DELETE")
    contents = (stored.join(deleted, identity, "left_semi")
                .withColumn("_rank", F.row_number().over(Window.partitionBy(*identity).orderBy(*_newest_first())))
                .where(F.col("_rank") == 1).select(*identity, F.col("resource_json").alias("_deleted_json")))
    rows = rows.join(contents, identity, "left")
    return rows.select(
        *[c for c in rows.columns if c not in ("resource_json", "_deleted_json")],
        F.when(F.col(DELETES), F.col("_deleted_json")).otherwise(F.col("resource_json")).alias("resource_json"),
        F.when(F.col(DELETES) & F.col("_deleted_json").isNull(),
               F.lit("deletes a resource bronze never received")).alias(VERSION_PROBLEM),
    )


_MRN_TYPE = "MR"


def patient_keys(batch) -> DataFrame:
    """(``_patient_ref``, ``_patient_mrn``) for every Patient bronze holds, newest version: its
    ``Patient/<id>`` and its bundle ``fullUrl``, to the MRN (its id where it has no MR identifier)."""
    patients = history(batch, ("Patient",)).where(F.coalesce(F.col("request_method"), F.lit("")) != "DELETE")
    newest = (_with_version_at(patients)
              .withColumn("_rank", F.row_number().over(Window.partitionBy("resource_id").orderBy(*_newest_first())))
              .where(F.col("_rank") == 1))
    parsed = parse(newest, fields(identifier=many(IDENTIFIER)))
    mrn = F.coalesce(medical_record_number(element("identifier")), F.col("resource_id"))
    keyed = parsed.select("resource_id", "full_url", mrn.alias("_patient_mrn"))
    by_id = keyed.select(F.concat(F.lit("Patient/"), F.col("resource_id")).alias("_patient_ref"), "_patient_mrn")
    by_url = keyed.where(F.col("full_url").isNotNull()).select(F.col("full_url").alias("_patient_ref"), "_patient_mrn")
    return by_id.unionByName(by_url).distinct()


def medical_record_number(identifiers: Column) -> Column:
    """The value of the first identifier typed MR (v2-0203 Medical Record Number)."""
    typed = F.filter(identifiers, lambda i: F.exists(
        F.coalesce(i.getField("type").getField("coding"), F.array()), lambda c: c.getField("code") == _MRN_TYPE))
    return F.trim(first(typed).getField("value"))


def with_patient(frame: DataFrame, reference: Column, keys: DataFrame) -> DataFrame:
    """``frame`` with ``_patient_mrn``: the MRN of the Patient ``reference`` points at (null
    where it names none bronze holds: a dangling reference), or the identifier it names."""
    text = F.trim(reference.getField("reference"))
    ref = F.when(text.startswith("urn:"), text).otherwise(
        F.nullif(F.regexp_extract(text, r"(Patient/[A-Za-z0-9.\-]{1,64})(/_history/[^/]*)?\z", 1), F.lit("")))
    joined = frame.withColumn("_ref", ref).join(keys, F.col("_ref") == F.col("_patient_ref"), "left")
    by_identifier = F.trim(reference.getField("identifier").getField("value"))
    return joined.withColumn("_patient_mrn", F.coalesce(F.col("_patient_mrn"), by_identifier)).drop(
        "_ref", "_patient_ref")


def referenced_id(reference: Column, resource_type: str) -> Column:
    """The logical id a reference to ``resource_type`` names (``urn:uuid:<id>``, as Synthea's
    bundles write, read as that id)."""
    text = F.trim(reference.getField("reference"))
    by_path = F.regexp_extract(text, rf"{resource_type}/([A-Za-z0-9.\-]{{1,64}})(/_history/[^/]*)?\z", 1)
    by_uuid = F.regexp_extract(text, r"^urn:uuid:([A-Za-z0-9.\-]{1,64})\z", 1)
    return F.coalesce(F.nullif(by_path, F.lit("")), F.nullif(by_uuid, F.lit("")))
