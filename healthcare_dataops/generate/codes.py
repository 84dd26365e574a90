"""Clinical vocabularies the EHR export uses: SNOMED CT, RxNorm and LOINC codes."""

from __future__ import annotations

from dataclasses import dataclass

SNOMED = "SNOMED-CT"


@dataclass(frozen=True)
class Chronic:
    bit: int
    code: str
    description: str
    prevalence: float  # in a high-utilization panel aged ~70
    medications: tuple[tuple[str, str, float], ...]  # (RxNorm, description, unit cost)


DIABETES, HYPERTENSION, CHF, CKD_EARLY, CKD_STAGE3, COPD, CAD, AFIB, LIPIDS, OBESITY, ANEMIA = range(11)

CHRONIC = (
    Chronic(DIABETES, "44054006", "Diabetes mellitus type 2 (disorder)", 0.38, (
        ("860975", "24 HR Metformin hydrochloride 500 MG Extended Release Oral Tablet", 0.86),
        ("106892", "insulin isophane human 70 UNT/ML / insulin regular human 30 UNT/ML "
                   "Injectable Suspension [Humulin]", 41.30),
    )),
    Chronic(HYPERTENSION, "59621000", "Essential hypertension (disorder)", 0.66, (
        ("314076", "lisinopril 10 MG Oral Tablet", 0.42),
        ("197361", "Amlodipine 5 MG Oral Tablet", 0.37),
    )),
    Chronic(CHF, "88805009", "Chronic congestive heart failure (disorder)", 0.24, (
        ("313988", "Furosemide 40 MG Oral Tablet", 0.29),
        ("200031", "carvedilol 6.25 MG Oral Tablet", 0.51),
    )),
    Chronic(CKD_EARLY, "431855005", "Chronic kidney disease stage 1 (disorder)", 0.08, ()),
    Chronic(CKD_STAGE3, "433144002", "Chronic kidney disease stage 3 (disorder)", 0.18, (
        ("310798", "Hydrochlorothiazide 25 MG Oral Tablet", 0.31),
    )),
    Chronic(COPD, "13645005", "Chronic obstructive pulmonary disease (disorder)", 0.21, (
        ("2123111", "NDA020503 200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", 38.54),
        ("896209", "60 ACTUAT Fluticasone propionate 0.25 MG/ACTUAT / salmeterol 0.05 MG/ACTUAT "
                   "Dry Powder Inhaler", 312.10),
    )),
    Chronic(CAD, "53741008", "Coronary arteriosclerosis (disorder)", 0.27, (
        ("309362", "Clopidogrel 75 MG Oral Tablet", 0.95),
        ("705129", "Nitroglycerin 0.4 MG/ACTUAT Mucosal Spray", 19.64),
    )),
    Chronic(AFIB, "49436004", "Atrial fibrillation (disorder)", 0.16, (
        ("1364430", "apixaban 5 MG Oral Tablet", 8.12),
    )),
    Chronic(LIPIDS, "55822004", "Hyperlipidemia (disorder)", 0.50, (
        ("259255", "Atorvastatin 80 MG Oral Tablet", 0.63),
    )),
    Chronic(OBESITY, "162864005", "Body mass index 30+ - obesity (finding)", 0.33, ()),
    Chronic(ANEMIA, "271737000", "Anemia (disorder)", 0.14, (
        ("310325", "ferrous sulfate 325 MG Oral Tablet", 0.06),
    )),
)

# Why people in this panel get admitted: (SNOMED, description, the chronic bit that makes it
# likelier or None, base weight).
ADMISSION_REASONS = (
    ("42343007", "Congestive heart failure (disorder)", CHF, 1.0),
    ("195951007", "Acute exacerbation of chronic obstructive airways disease (disorder)", COPD, 1.0),
    ("233604007", "Pneumonia (disorder)", None, 0.7),
    ("91302008", "Sepsis (disorder)", None, 0.3),
    ("14669001", "Acute renal failure syndrome (disorder)", CKD_STAGE3, 0.6),
    ("80394007", "Hyperglycemia (disorder)", DIABETES, 0.6),
    ("68566005", "Urinary tract infectious disease (disorder)", None, 0.4),
    ("5913000", "Fracture of neck of femur (disorder)", None, 0.2),
    ("401314000", "Acute non-ST segment elevation myocardial infarction (disorder)", CAD, 0.5),
)

INPATIENT_MEDICATIONS = (
    ("854235", "0.4 ML Enoxaparin sodium 100 MG/ML Prefilled Syringe", 61.23),
    ("313782", "Acetaminophen 325 MG Oral Tablet", 0.12),
)
REASON_MEDICATIONS = {
    "42343007": ("1719286", "10 ML Furosemide 10 MG/ML Injection", 4.80),
    "195951007": ("2123111", "NDA020503 200 ACTUAT Albuterol 0.09 MG/ACTUAT Metered Dose Inhaler", 38.54),
    "233604007": ("1665060", "cefazolin 2000 MG Injection", 12.55),
    "91302008": ("1659149", "piperacillin 4000 MG / tazobactam 500 MG Injection", 22.10),
    "68566005": ("1665060", "cefazolin 2000 MG Injection", 12.55),
    "80394007": ("311034", "insulin regular human 100 UNT/ML Injectable Solution", 25.40),
}

ENCOUNTER_TYPES = {
    "wellness": ("162673000", "General examination of patient (procedure)", 129.16),
    "new_patient": ("185349003", "Encounter for check up (procedure)", 129.16),
    "follow_up": ("390906007", "Follow-up encounter (procedure)", 77.49),
    "problem": ("185347001", "Encounter for problem (procedure)", 77.49),
    "symptom": ("185345009", "Encounter for symptom (procedure)", 77.49),
    "diagnosis": ("185347001", "Encounter for problem (procedure)", 77.49),
    "emergency": ("50849002", "Emergency room admission (procedure)", 129.16),
    "inpatient": ("183452005", "Emergency hospital admission (procedure)", 129.16),
    # A stay that continues another hospital's: admitted straight from its discharge.
    "transfer": ("32485007", "Hospital admission (procedure)", 129.16),
    # Booked ahead, not through the emergency department.
    "elective": ("8715000", "Hospital admission, elective (procedure)", 129.16),
}

# Planned admissions as the EHR codes them (data/reference/readmission_cohort_codes.csv holds
# the rule the label applies): (SNOMED reason, description, the chronic bit that calls for it
# or None). Rehabilitation is always planned; the procedures are when booked as elective.
PLANNED_REASONS = (
    ("52052004", "Rehabilitation therapy (regime/therapy)", None),
    ("415070008", "Percutaneous coronary intervention (procedure)", CAD),
    ("52734007", "Total replacement of hip (procedure)", None),
)
# What the EHR records on a stay the patient ended against medical advice: a condition row on
# the stay's encounter, coded as SNOMED's self-discharge against medical advice.
AGAINST_MEDICAL_ADVICE = ("225928004", "Patient self-discharge against medical advice (procedure)")

# LOINC vital signs: (code, description, units).
VITALS = (
    ("8302-2", "Body Height", "cm"),
    ("29463-7", "Body Weight", "kg"),
    ("39156-5", "Body mass index (BMI) [Ratio]", "kg/m2"),
    ("8480-6", "Systolic blood pressure", "mm[Hg]"),
    ("8462-4", "Diastolic blood pressure", "mm[Hg]"),
    ("8867-4", "Heart rate", "/min"),
    ("9279-1", "Respiratory rate", "/min"),
    ("8310-5", "Body temperature", "Cel"),
    ("59408-5", "Oxygen saturation in Arterial blood by Pulse oximetry", "%"),
)
ADDRESS_OBSERVATION = ("56799-0", "What address do you live at?")
SMOKING_OBSERVATION = ("72166-2", "Tobacco smoking status NHIS")
HOUSEHOLD_OBSERVATION = ("63512-8", "How many family members including yourself do you currently live with?")
INSURANCE_OBSERVATION = ("76437-3", "What is your main insurance?")
PHQ2_OBSERVATION = ("55758-7", "Patient Health Questionnaire 2 item (PHQ-2) total score [Reported]")

PAYERS = (
    ("Medicare", 0.55), ("Medicaid", 0.15), ("Blue Cross Blue Shield", 0.14),
    ("Aetna", 0.06), ("UnitedHealthcare", 0.06), ("NO_INSURANCE", 0.04),
)
