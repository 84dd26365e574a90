"""The labs' HL7 v2.5.1 ORU^R01 deliveries: one file per lab per day, a message per order.

Segments end with a carriage return, as HL7 requires; how messages are separated differs by
lab, as it does between real interfaces: northlab ends each message with CR LF, citycore
puts a bare LF between messages, quantum runs them together with CR only.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from healthcare_dataops.landing_layout import LABS, day_folder, lab_file_name

from .clock import hl7_ts
from .drift import GLUCOSE_LAB, DriftPlan
from .ehr_rows import Context
from .lab_catalog import ANALYTES, MG_DL_PER_MMOL_L_GLUCOSE, PANELS, rounded
from .lab_catalog import GLUCOSE_MMOL as GLUCOSE_SI
from .lab_orders import LabOrder
from .ledger import AtomicText, FileRecord, relative

LAB_TABLE = "lab_results"
MESSAGES_KEPT = 500  # messages per file whose OBX count is kept for placing faults
LABS_INFO = {  # code: (sending application, facility name, facility OID, message terminator)
    "northlab": ("NORTHLAB LIS", "North General Hospital Laboratory", "2.16.840.1.113883.3.9901.1", "\r\n"),
    "citycore": ("CITYCORE LIS", "City Medical Center Core Laboratory", "2.16.840.1.113883.3.9901.2", "\n"),
    "quantum": ("QUANTUM LIMS", "Quantum Reference Laboratories", "2.16.840.1.113883.3.9901.3", "\r"),
}
LAB_CODES = tuple(LABS_INFO)
MRN_AUTHORITY = {"NORTH GENERAL HOSPITAL": "NGH", "CITY MEDICAL CENTER": "CMC"}


def message_separator(lab: str) -> str:
    """What follows a message's last segment (after its CR, if the lab writes one)."""
    return {"\r\n": "\n", "\n": "\n", "\r": ""}[LABS_INFO[lab][3]]


def render(ctx: Context, order: LabOrder, drift: DriftPlan) -> tuple[list[str], int]:
    """The message's segments and how many OBX it holds."""
    application, facility, oid, _ = LABS_INFO[order.lab]
    i = order.patient
    who = ctx.identity(i)
    hospital = ctx.hospital(i)
    birth = dt.date.fromordinal(int(ctx.panel.birth_ordinal[i])).strftime("%Y%m%d")
    collected, resulted = hl7_ts(order.collected), hl7_ts(order.resulted)
    panel_code, panel_text, _ = PANELS[order.panel]
    phone = who.phone.replace("-", "")
    name = f"{who.last}^{who.first}" + (f"^{who.middle[:1]}" if who.middle else "")
    segments = [
        f"MSH|^~\\&|{application}|{facility}^{oid}^ISO|HDO EHR|{hospital}|{resulted}||ORU^R01^ORU_R01|"
        f"{order.control_id}|P|2.5.1|||AL|NE",
        f"PID|1||{ctx.patient_id(i)}^^^{MRN_AUTHORITY[hospital]}^MR||{name}||"
        f"{birth}|{'F' if ctx.panel.female[i] else 'M'}|||{who.street}^^{who.city}^MA^{who.zip}^USA^H||"
        f"^PRN^PH^^1^{phone[:3]}^{phone[3:]}",
        f"ORC|RE|{order.placer}^HDO EHR|{order.filler}^{application.split()[0]}||CM",
        f"OBR|1|{order.placer}^HDO EHR|{order.filler}^{application.split()[0]}|{panel_code}^{panel_text}^LN|||"
        f"{collected}|||||||||||||||{resulted}|||F",
    ]
    mmol = order.lab == GLUCOSE_LAB and drift.active("glucose-mmol", order.delivered)
    for n, (code, value) in enumerate(order.values, start=1):
        analyte = ANALYTES[code]
        # The patient's true value feeds the risk; a recalibrated analyzer reports another.
        value = rounded(code, drift.recalibrated(order.lab, code, order.delivered, value))
        if mmol and code in GLUCOSE_SI:
            analyte, value = GLUCOSE_SI[code], round(value / MG_DL_PER_MMOL_L_GLUCOSE, 1)
        segments.append(
            f"OBX|{n}|NM|{code}^{analyte.text}^LN||{analyte.text_value(value)}|{analyte.unit}^{analyte.unit}^UCUM|"
            f"{analyte.reference_range()}|{analyte.flag(value)}|||F|||{collected}"
        )
    return segments, len(order.values)


def write_lab_day(root: Path, ctx: Context, lab: str, day: dt.date, orders: list[LabOrder],
                  drift: DriftPlan) -> FileRecord:
    path = root / day_folder(LABS, day) / lab_file_name(lab, day)
    out = AtomicText(path)
    record = FileRecord(relative(root, path), LAB_TABLE, detail={"obx_per_message": []})
    terminator = LABS_INFO[lab][3]
    for order in orders:
        segments, obx = render(ctx, order, drift)
        out.write("\r".join(segments) + terminator)
        record.rows += obx
        if len(record.detail["obx_per_message"]) < MESSAGES_KEPT:
            record.detail["obx_per_message"].append(obx)
    out.close()
    return record
