"""The FHIR export carries the treatments in standard form: toxin injections as
MedicationAdministration (product, dose in UCUM, body site), therapy sessions and procedures as
Procedure (blocks with their outcome); standard codes only from the checked code tables."""

# pytest fixtures are imported from store_fixtures by name, and used as parameters:
# ruff: noqa: F811
from __future__ import annotations

import json
import warnings

import pytest
from store_fixtures import fill_record, sqlite_settings, sqlite_store  # noqa: F401

from synkinesis.store import codes
from synkinesis.store.exchange import fhir_bundle


@pytest.fixture
def filled(sqlite_store):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ids = fill_record(sqlite_store)
    return sqlite_store, ids


def _by_type(data):
    found = {}
    for entry in data["entry"]:
        found.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return found


def test_treatments_are_exported_and_validate(filled):
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.medicationadministration import MedicationAdministration
    from fhir.resources.R4B.procedure import Procedure

    store, ids = filled
    with store.reading() as session:
        data = json.loads(json.dumps(fhir_bundle(session, patient_code="P001")))
    Bundle.model_validate(data)
    found = _by_type(data)
    assert sorted(found) == ["MedicationAdministration", "Observation", "Procedure"]
    given = [MedicationAdministration.model_validate(r) for r in found[
        "MedicationAdministration"]]
    assert len(given) == 2  # orbicularis oculi 7.5 U and mentalis 2.5 U, one session
    sites = {g.dosage.site.coding[0].code: g for g in given}
    oo = sites["orbicularis_oculi"]
    assert oo.status == "completed" and str(oo.effectiveDateTime) == "2026-01-05"
    assert float(oo.dosage.dose.value) == 7.5
    assert (oo.dosage.dose.system, oo.dosage.dose.code) == ("http://unitsofmeasure.org",
                                                           "[arb'U]")
    assert oo.dosage.site.coding[0].system == codes.MUSCLE_SYSTEM  # no verified SNOMED code
    assert oo.dosage.site.text == "orbicularis oculi, left"
    assert oo.medicationCodeableConcept.coding[0].code == "onabotulinumtoxinA"
    assert "Botox" in oo.medicationCodeableConcept.text
    assert {i.value for i in oo.identifier} >= {ids["toxin"]}
    assert oo.partOf[0].reference == f"urn:uuid:{ids['toxin']}"
    assert "3 point(s)" in oo.dosage.text and "100 U / 2.5 mL" in oo.dosage.text
    procedures = {r["id"]: Procedure.model_validate(r) for r in found["Procedure"]}
    assert len(procedures) == 3  # the toxin session, the therapy session, the block
    toxin = procedures[ids["toxin"]]  # what the MedicationAdministrations are part of
    assert f"urn:uuid:{toxin.id}" in {e["fullUrl"] for e in data["entry"]}
    assert (toxin.code.coding[0].system, toxin.code.coding[0].code) == (codes.SNOMED,
                                                                       "442695005")
    assert "10 U in total" in toxin.code.text
    assert [site.text for site in toxin.bodySite] == ["orbicularis oculi, left",
                                                      "mentalis, left"]
    assert any(n.text == "dilution: 100 U / 2.5 mL" for n in toxin.note)
    block = procedures[ids["procedure"]]
    assert block.code.coding[0].code == "nerve_block" and block.status == "completed"
    assert block.bodySite[0].coding[0].code == "depressor_anguli_oris"
    assert block.outcome.text == "wider: sunnybrook 58 (2026-02-01)"
    assert any("predicted before the procedure: wider smile: sunnybrook 60" in n.text
               for n in block.note)
    therapy = procedures[ids["therapy"]]
    assert therapy.code.coding[0].code == "neuromuscular_retraining"
    assert str(therapy.performedDateTime) == "2026-01-12"
    assert any(n.text == "45 minutes" for n in therapy.note)


def test_a_muscle_with_a_checked_snomed_code_gets_it_and_the_side_in_words():
    site = codes.body_site("platysma", "right")
    # one coding: the codings of a CodeableConcept are alternatives, not a laterality
    assert site == {"coding": [{"system": codes.SNOMED, "code": "18252004",
                                "display": "Structure of platysma muscle"}],
                    "text": "platysma, right"}
    assert codes.body_site("mentalis", "left")["coding"][0]["system"] == codes.MUSCLE_SYSTEM
    assert codes.body_site("buccal")["coding"][0]["system"] == codes.NERVE_BRANCH_SYSTEM


def test_every_standard_code_names_its_source():
    tables = [*codes.BODY_SITES.values(), *codes.PROCEDURE_CODES.values(),
              codes.TOXIN_INJECTION, codes.DOSE_UNIT]
    for code in tables:
        if code.system in (codes.SNOMED, codes.UCUM):
            assert code.source, code
        else:
            assert code.system.startswith("urn:synkinesis:"), code


def test_voided_treatments_are_left_out_or_marked(filled):
    from synkinesis.store import repository

    store, ids = filled
    with store.transaction() as session:
        entry = repository.find_entry(session, kind="toxin", ref=ids["toxin"])
        repository.void_entry(session, entry=entry, reason="wrong patient")
    with store.reading() as session:
        plain = _by_type(fhir_bundle(session, patient_code="P001"))
        full = _by_type(fhir_bundle(session, patient_code="P001", include_voided=True))
    assert "MedicationAdministration" not in plain
    assert ids["toxin"] not in {r["id"] for r in plain["Procedure"]}
    given = full["MedicationAdministration"]
    assert {g["status"] for g in given} == {"entered-in-error"}
    assert any("voided: wrong patient" in n["text"] for g in given for n in g["note"])
