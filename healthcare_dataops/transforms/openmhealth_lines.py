"""Open mHealth JSON Lines parsed on the engine, exactly as the Python reference parses them.

``formats/openmhealth.parse_line`` is the reference. The engine parses each line once with
``from_json`` and reads the reader's columns from it, and marks every line where it cannot
prove that its answer is the reference's (``ENGINE_READ`` false). Those lines, and the lines
that are not UTF-8, go to the reference parser on the engine's Python workers
(``lakehouse/bronze_engine.py``). A feed in the usual shape never needs it; an odd line costs
time, never a difference.

What the engine can and cannot see, and so when it hands a line over:

* ``from_json`` is strict (a line that is not one JSON object is null) and, like Python, keeps
  the last of two equal keys, but it rewrites numbers (``72.10`` becomes ``72.1``) and gives an
  object or array as compact JSON where the reference writes ``json.dumps`` of it. So numbers
  are read with ``get_json_object``, which keeps a number's text as written, but takes the
  first of two equal keys: it is used only where each key on its path occurs once in the line.
  A text value that could be a rewritten number is read the same way; one that starts with
  ``{`` or ``[`` is handed over.
* ``from_json`` cannot tell a key that is absent from one that is null, nor a key whose value
  has another type than the schema's: where that decides which key holds the measure, a key
  that occurs in the line's text but not in the parsed struct hands the line over.
* Anything with a ``resourceType`` key (a FHIR resource, which the reference rejects),
  bodies without header, sleep episodes known only by their keys (not their schema name), a
  measure found only by the reference's last resort (the first member with a value and a
  unit), and JSON that Python reads but the engine does not (NaN, lone surrogates) are all
  handed over.
"""

from __future__ import annotations

from functools import reduce

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql import types as T

from healthcare_dataops.formats.openmhealth import KNOWN_MEASURES, parse_line
from healthcare_dataops.formats.records import WEARABLE_READING_COLUMNS
from healthcare_dataops.lakehouse.bronze_engine import ENGINE_READ, EngineLineFormat

# The columns the engine's file reader gives for each non-blank line of a file.
TEXT = "line_text"
SOURCE_FORMAT = "openmhealth"
SLEEP_SCHEMA_NAME = "sleep-episode"
SLEEP_MEASURE = "sleep_episode"

# A JSON number as its grammar allows (no sign, leading zeros or dot without digits).
_JSON_NUMBER = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?\z"
# Integers every engine writes back as they were written: from_json gives them unchanged.
_PLAIN_INTEGER = r"^(0|-?[1-9][0-9]{0,14})\z"


def _text_fields(*names: str) -> T.StructType:
    return T.StructType([T.StructField(name, T.StringType()) for name in names])


_QUANTITY = _text_fields("value", "unit")
DATA_POINT = T.StructType([
    T.StructField("header", T.StructType([
        *_text_fields("id", "creation_date_time", "user_id").fields,
        T.StructField("schema_id", _text_fields("namespace", "name", "version")),
        T.StructField("acquisition_provenance", _text_fields("source_name", "modality")),
    ])),
    T.StructField("body", T.StructType([
        *(T.StructField(measure, _QUANTITY) for measure in KNOWN_MEASURES),
        T.StructField("total_sleep_time", _QUANTITY),
        T.StructField("descriptive_statistic", T.StringType()),
        T.StructField("effective_time_frame", T.StructType([
            T.StructField("date_time", T.StringType()),
            T.StructField("time_interval", T.StructType([
                *_text_fields("start_date_time", "end_date_time").fields,
                T.StructField("duration", _QUANTITY),
            ])),
        ])),
    ])),
])

# Each reader column's path in the data point (value and unit depend on the measure).
_TEXT_PATHS = {
    "device_id": ("header", "user_id"),
    "data_point_id": ("header", "id"),
    "schema_namespace": ("header", "schema_id", "namespace"),
    "schema_name": ("header", "schema_id", "name"),
    "schema_version": ("header", "schema_id", "version"),
    "creation_date_time": ("header", "creation_date_time"),
    "acquisition_source_name": ("header", "acquisition_provenance", "source_name"),
    "acquisition_modality": ("header", "acquisition_provenance", "modality"),
    "descriptive_statistic": ("body", "descriptive_statistic"),
    "effective_date_time": ("body", "effective_time_frame", "date_time"),
    "start_date_time": ("body", "effective_time_frame", "time_interval", "start_date_time"),
    "end_date_time": ("body", "effective_time_frame", "time_interval", "end_date_time"),
    "duration_unit": ("body", "effective_time_frame", "time_interval", "duration", "unit"),
}
_DURATION = ("body", "effective_time_frame", "time_interval", "duration")


def read_data_points(lines: DataFrame) -> DataFrame:
    """``lines`` with the reader's columns (WEARABLE_READING_COLUMNS) and ``ENGINE_READ``.

    Where ``ENGINE_READ`` is false the reader's columns are not to be used: the line goes to
    the reference parser. Built in stages, each naming what the next ones use: an expression
    used twice is evaluated twice, and inside a case even common ones are not shared.
    """
    text = F.col(TEXT)
    field = lambda path: reduce(lambda c, name: c.getField(name), path, F.col("_point"))  # noqa: E731
    parsed = lines.select(
        "*",
        F.from_json(text, DATA_POINT).alias("_point"),
        *[(_occurrences(text, f'"{key}"') == 1).alias(f"_{key}_once") for key in ("header", "body")],
    )
    parsed = parsed.withColumn("_measure", _measure(field))
    measure = F.col("_measure")
    # Where the value and unit come from: the measure's object, a sleep episode's total time,
    # else (a sleep episode without one) its interval's duration.
    quantities = (*KNOWN_MEASURES, "total_sleep_time")
    parsed = parsed.select(
        "*",
        F.coalesce(
            *[F.when(measure == m, F.lit(m)) for m in KNOWN_MEASURES],
            F.when((measure == SLEEP_MEASURE) & field(("body", "total_sleep_time")).isNotNull(),
                   F.lit("total_sleep_time")),
        ).alias("_quantity"),
        _decisive_measure(text, field).alias("_decisive"),
        *[_text_leaf(text, field, path).alias(name) for name, path in _TEXT_PATHS.items()],
    )
    quantity = F.col("_quantity")
    duration = field(_DURATION)
    parsed = parsed.select(
        "*",
        F.coalesce(*[F.when(quantity == key, field(("body", key, "value"))) for key in quantities])
        .alias("_quantity_value"),
        F.coalesce(*[F.when(quantity == key, _text_leaf(text, field, ("body", key, "unit"))) for key in quantities])
        .alias("_quantity_unit"),
    )
    # A plain integer is one that from_json writes back as written (heart rates, steps): only
    # the other numbers are read again, as written, from their object's own text.
    quantity_value, duration_value = F.col("_quantity_value"), duration.getField("value")
    quantity_plain, duration_plain = quantity_value.rlike(_PLAIN_INTEGER), duration_value.rlike(_PLAIN_INTEGER)
    parsed = parsed.select(
        "*",
        F.when(~quantity_plain,
               F.coalesce(*[F.when(quantity == key, _object_as_written(text, ("body", key))) for key in quantities]))
        .alias("_quantity_raw"),
        F.when(duration.isNotNull() & ~F.coalesce(duration_plain, F.lit(True)), _object_as_written(text, _DURATION))
        .alias("_duration_raw"),
    )
    quantity_raw, duration_raw = F.col("_quantity_raw"), F.col("_duration_raw")
    written_duration = (F.when(F.coalesce(duration_plain, F.lit(True)), duration_value)
                        .otherwise(F.get_json_object(duration_raw, "$.value")))
    duration_ok = (duration.isNull() | F.coalesce(duration_plain, F.lit(True))
                   | (duration_raw.isNotNull() & (_occurrences(duration_raw, '"value"') <= 1)))
    quantity_ok = quantity_plain | (quantity_raw.isNotNull() & (_occurrences(quantity_raw, '"value"') <= 1))
    output = {name: F.col(name) for name in _TEXT_PATHS}
    output.update(
        measure=measure,
        value=F.when(quantity.isNull(), written_duration)
        .when(quantity_plain, quantity_value)
        .otherwise(F.get_json_object(quantity_raw, "$.value")),
        unit=F.when(quantity.isNull(), F.col("duration_unit")).otherwise(F.col("_quantity_unit")),
        duration_value=written_duration,
        source_format=F.lit(SOURCE_FORMAT),
        raw_record=text,
    )
    parsed = parsed.select(
        *lines.columns, "_point", "_decisive",
        *[output[name].alias(name) for name in WEARABLE_READING_COLUMNS],
        F.coalesce(duration_ok, F.lit(False)).alias("_duration_ok"),
        F.coalesce(F.when(quantity.isNull(), F.lit(True)).otherwise(quantity_ok), F.lit(False)).alias("_value_ok"),
    )
    understood = (
        text.isNotNull()
        # JVM Spark's from_json reads an array holding one object as that object.
        & text.startswith("{")
        # FHIR resources are the reference's to reject, with its reason.
        & (F.instr(text, '"resourceType"') == 0)
        & F.col("_point").isNotNull()
        & field(("header",)).isNotNull()
        & field(("body",)).isNotNull()
        & F.col("measure").isNotNull()
        & F.col("_decisive")
        & F.col("_value_ok")
        & F.col("_duration_ok")
        & reduce(lambda a, b: a & b, [_is_plain_text(F.col(name)) for name in (*_TEXT_PATHS, "unit", "value")])
    )
    return parsed.select(
        *lines.columns,
        *WEARABLE_READING_COLUMNS,
        F.coalesce(understood, F.lit(False)).alias(ENGINE_READ),
    )


def _measure(field) -> Column:
    """The reference's ``_measure`` where the known keys decide it, or the schema names a sleep
    episode. A body that is a sleep episode only by its keys (``is_main_sleep`` and the like,
    under another schema name) is left to the reference: parsing those keys on every line
    would cost more than handing over the few lines that need them."""
    name = field(("header", "schema_id", "name"))
    named = F.translate(name, "-", "_")
    found = {m: field(("body", m)).isNotNull() & field(("body", m, "value")).isNotNull() for m in KNOWN_MEASURES}
    named_first = [F.when((named == m) & found[m], F.lit(m)) for m in KNOWN_MEASURES]
    in_order = [F.when(found[m], F.lit(m)) for m in KNOWN_MEASURES]
    return F.coalesce(*named_first, *in_order, F.when(name == SLEEP_SCHEMA_NAME, F.lit(SLEEP_MEASURE)))


def _decisive_measure(text: Column, field) -> Column:
    """False where a key the measure depends on is in the text but not as the schema reads it:
    a measure key holding a number or text (the reference takes a bare number; from_json nulls
    it), a measure object without a value or a total sleep time without a value and a unit
    (an absent key and a null look alike), or a schema-named key that is none of the known
    measures."""
    rules = []
    for key in KNOWN_MEASURES:
        parsed = field(("body", key))
        rules.append(~((F.instr(text, f'"{key}"') > 0) & parsed.isNull()))
        rules.append(~(parsed.isNotNull() & parsed.getField("value").isNull()))
    total = field(("body", "total_sleep_time"))
    rules.append(~(total.isNotNull() & (total.getField("value").isNull() | total.getField("unit").isNull())))
    name = field(("header", "schema_id", "name"))
    named = F.translate(name, "-", "_")
    rules.append(~(name.isNotNull() & ~named.isin(*KNOWN_MEASURES)
                   & (F.instr(text, F.concat(F.lit('"'), named, F.lit('"'))) > 0)))
    return reduce(lambda a, b: a & b, [F.coalesce(rule, F.lit(False)) for rule in rules])


def _text_leaf(text: Column, field, path: tuple[str, ...]) -> Column:
    """A text leaf as the reference writes it: from_json's text, or the text as written where
    from_json may have rewritten a number (null, and so handed over, where a key repeats).

    A schema version ``"2.0"`` looks like a number on every line: where the leaf's key occurs
    once and the line holds it as that string, from_json's text is the text as written.
    """
    parsed, leaf = field(path), path[-1]
    # Most leaves start with a letter: only those that may be numbers pay for the regexes.
    may_be_number = F.substring(parsed, 1, 1).isin(*"-0123456789")
    maybe_rewritten = F.when(may_be_number, parsed.rlike(_JSON_NUMBER) & ~parsed.rlike(_PLAIN_INTEGER))
    as_text = (_occurrences(text, f'"{leaf}"') == 1) & (
        (F.instr(text, F.concat(F.lit(f'"{leaf}":"'), parsed, F.lit('"'))) > 0)
        | (F.instr(text, F.concat(F.lit(f'"{leaf}": "'), parsed, F.lit('"'))) > 0)
    )
    written = F.when(as_text, parsed).otherwise(
        F.when(_each_once(text, path), F.get_json_object(text, "$." + ".".join(path)))
    )
    # A rewritten number that cannot be read as written becomes "{", which hands the line over.
    return F.when(F.coalesce(maybe_rewritten, F.lit(False)), F.coalesce(written, F.lit("{"))).otherwise(parsed)


def _object_as_written(text: Column, path: tuple[str, ...]) -> Column:
    """An object's text as written, where each key on its path occurs once in the line (null
    otherwise): its numbers then read as written, from the object's own, shorter text."""
    return F.when(_each_once(text, path), F.get_json_object(text, "$." + ".".join(path)))


def _each_once(text: Column, path: tuple[str, ...]) -> Column:
    """Whether each key on ``path`` occurs once in the line (``header`` and ``body`` counted
    once per line, in the first stage)."""
    first, rest = path[0], path[1:]
    counted = [F.col(f"_{first}_once")] if first in ("header", "body") else [_occurrences(text, f'"{first}"') == 1]
    return reduce(lambda a, b: a & b, counted + [_occurrences(text, f'"{name}"') == 1 for name in rest])


def _occurrences(text: Column, needle: str) -> Column:
    return (F.length(text) - F.length(F.replace(text, F.lit(needle), F.lit("")))) / len(needle)


def _is_plain_text(value: Column) -> Column:
    """Null, or text that is neither an object nor an array (the reference dumps those)."""
    return value.isNull() | ~(value.startswith("{") | value.startswith("["))


# Open mHealth JSON Lines as the bronze writer reads them on the engine.
OPENMHEALTH_LINES = EngineLineFormat(read=read_data_points, reference=parse_line)
