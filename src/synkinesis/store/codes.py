"""Code tables of the FHIR export: which standard code each of our names maps to, and why.

Rule: a standard code (SNOMED CT, LOINC, UCUM) only where its meaning was checked against a
published source, noted beside it; everything else is coded in our own code systems
(``urn:synkinesis:...``) with a plain-text display, so a receiving system never gets a wrong
standard code. ``docs/record.md`` lists which concepts are standard-coded and which are not.

Sources checked (December 2026):

- ``DICOM-PS3.16``: the DICOM anatomic-region mapping to SNOMED CT, as published in FHIR form
  (DICOM PS3.16 context groups; the "Structure of platysma muscle" row).
- ``FHIR-R4-bodysite``: the SNOMED CT body-structure value set shipped with FHIR R4
  (``http://hl7.org/fhir/ValueSet/body-site``, "Levator labii superioris muscle").
- ``SNOMED-INT``: the SNOMED CT International Edition concept "Injection of botulinum toxin
  (procedure)", the International replacement of the retired US-extension concept
  428191000124101.
- ``UCUM``: the Unified Code for Units of Measure. Botulinum toxin units are product-specific
  biological units (not the enzyme unit ``U`` = umol/min of UCUM), so a dose is coded as the
  UCUM arbitrary unit ``[arb'U]`` and the product is always named with it.

No LOINC code is used: we found none we could verify for the facial-palsy instruments
(Sunnybrook, House-Brackmann, eFACE, the Synkinesis Assessment Questionnaire) or for our
measured indices; they stay in our own systems.

This module is pure data: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

__all__ = [
    "BODY_SITES",
    "DOSE_UNIT",
    "MUSCLE_SYSTEM",
    "NERVE_BRANCH_SYSTEM",
    "PROCEDURE_CODES",
    "PROCEDURE_SYSTEM",
    "PRODUCT_SYSTEM",
    "SNOMED",
    "TOXIN_INJECTION",
    "UCUM",
    "Code",
    "body_site",
    "procedure_code",
]

SNOMED = "http://snomed.info/sct"
UCUM = "http://unitsofmeasure.org"
#: Our own systems, for concepts without a verified standard code.
MUSCLE_SYSTEM = "urn:synkinesis:muscle"
NERVE_BRANCH_SYSTEM = "urn:synkinesis:facial-nerve-branch"
PROCEDURE_SYSTEM = "urn:synkinesis:procedure"
PRODUCT_SYSTEM = "urn:synkinesis:toxin-product"


@dataclass(frozen=True)
class Code:
    """One coding: system, code, display, and where the code was checked (``""`` for ours)."""

    system: str
    code: str
    display: str
    source: str = ""

    def coding(self) -> dict[str, str]:
        """As a FHIR ``Coding``."""
        return {"system": self.system, "code": self.code, "display": self.display}


#: Muscles with a verified SNOMED CT body-structure code; every other muscle is coded in
#: :data:`MUSCLE_SYSTEM`.
BODY_SITES: Mapping[str, Code] = MappingProxyType({
    "platysma": Code(SNOMED, "18252004", "Structure of platysma muscle", "DICOM-PS3.16"),
    "levator_labii_superioris": Code(SNOMED, "10062000", "Levator labii superioris muscle",
                                     "FHIR-R4-bodysite"),
})

#: The procedure of a toxin session.
TOXIN_INJECTION = Code(SNOMED, "442695005", "Injection of botulinum toxin", "SNOMED-INT")

#: Our procedures (:data:`synkinesis.store.vocabulary.PROCEDURE_KINDS` and therapy): none has a
#: SNOMED CT code we could verify, so all are in :data:`PROCEDURE_SYSTEM`.
PROCEDURE_CODES: Mapping[str, Code] = MappingProxyType({
    "nerve_block": Code(PROCEDURE_SYSTEM, "nerve_block",
                        "Diagnostic block of a facial muscle or nerve branch (local anaesthetic)"),
    "neurectomy": Code(PROCEDURE_SYSTEM, "neurectomy", "Selective neurectomy of a facial-nerve "
                                                       "branch"),
    "myectomy": Code(PROCEDURE_SYSTEM, "myectomy", "Myectomy of a facial muscle"),
    "other": Code(PROCEDURE_SYSTEM, "other", "Other procedure for synkinesis"),
    "therapy": Code(PROCEDURE_SYSTEM, "neuromuscular_retraining",
                    "Neuromuscular retraining session (facial therapy)"),
})

#: A toxin dose: UCUM arbitrary unit (product-specific units, see the module docstring).
DOSE_UNIT = Code(UCUM, "[arb'U]", "U (product-specific)", "UCUM")


def body_site(target: str, side: str | None = None) -> dict[str, object]:
    """A FHIR ``CodeableConcept`` for a muscle or nerve branch on a side: the SNOMED CT
    structure when :data:`BODY_SITES` has one, our own code otherwise; the side (the
    patient's) is in the text. (The codings of one CodeableConcept are alternatives for the
    same concept, so a laterality code cannot go beside the structure; a post-coordinated
    SNOMED expression would, but we have not checked one.)"""
    from synkinesis.store.vocabulary import BRANCHES

    site = BODY_SITES.get(target)
    if site is None:
        system = NERVE_BRANCH_SYSTEM if target in BRANCHES else MUSCLE_SYSTEM
        site = Code(system, target, target.replace("_", " "))
    text = target.replace("_", " ") + (f", {side}" if side else "")
    return {"coding": [site.coding()], "text": text}


def procedure_code(kind: str) -> dict[str, object]:
    """A FHIR ``CodeableConcept`` for a procedure kind (or ``"therapy"``)."""
    code = PROCEDURE_CODES.get(kind, PROCEDURE_CODES["other"])
    return {"coding": [code.coding()], "text": code.display}
