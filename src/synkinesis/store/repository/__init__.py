"""Repository functions of the patient record: validate, then write or read, on a session.

Every function takes the session first and everything else by keyword (FastAPI-template
``crud`` style). Writers only ``add``/``flush``: the caller's :meth:`Store.transaction` commits
the whole unit of work, so a failure anywhere leaves nothing written. Input is checked before
anything is added, with one-line messages naming what was expected and what came.

Dates must not be in the future or before the patient's onset. Toxin units above the per-muscle
maximum of the settings give a :class:`DoseWarning` (``warnings.warn``), never a refusal.

One module per entity (issue 17), all re-exported here, so callers import from this package:
``patients``, ``visits``, ``scores``, ``recordings`` (the rows; the files are
:mod:`synkinesis.store.recordings`), ``toxin``, ``therapy``, ``procedures``, ``corrections``
(void and amend), and ``_common`` (the checks they share).
"""

from __future__ import annotations

# Not in __all__, but read through this module by callers (``repository.NotFoundError`` in
# the tests, ``repo._text`` in store.exchange) as before the split.
from synkinesis.store.errors import NotFoundError as NotFoundError
from synkinesis.store.repository._common import (
    DoseWarning,
    check_patient_code,
    count_rows,
    parse_date,
    today_utc,
)
from synkinesis.store.repository._common import _text as _text
from synkinesis.store.repository.corrections import (
    amend_score,
    amend_therapy_session,
    amend_toxin_session,
    amend_visit,
    find_entry,
    void_entry,
)
from synkinesis.store.repository.patients import (
    check_patient_values,
    create_patient,
    delete_patient,
    get_patient,
    list_patients,
)
from synkinesis.store.repository.procedures import (
    add_procedure,
    check_outcome_values,
    check_procedure_values,
    get_procedure,
    record_procedure_outcome,
)
from synkinesis.store.repository.recordings import (
    IndexValue,
    add_recording,
    check_not_recorded,
    find_recording_by_sha256,
)
from synkinesis.store.repository.scores import add_score
from synkinesis.store.repository.therapy import add_therapy_session, check_therapy_values
from synkinesis.store.repository.toxin import (
    InjectionSpec,
    add_toxin_session,
    check_injections,
    check_toxin_values,
)
from synkinesis.store.repository.visits import (
    check_visit_values,
    create_visit,
    find_visit,
    visit_reference,
)

__all__ = [
    "DoseWarning",
    "IndexValue",
    "InjectionSpec",
    "add_procedure",
    "add_recording",
    "add_score",
    "add_therapy_session",
    "add_toxin_session",
    "amend_score",
    "amend_therapy_session",
    "amend_toxin_session",
    "amend_visit",
    "check_injections",
    "check_outcome_values",
    "check_patient_code",
    "check_patient_values",
    "check_procedure_values",
    "check_therapy_values",
    "check_toxin_values",
    "check_visit_values",
    "count_rows",
    "create_patient",
    "create_visit",
    "delete_patient",
    "find_entry",
    "check_not_recorded",
    "find_recording_by_sha256",
    "find_visit",
    "get_patient",
    "get_procedure",
    "list_patients",
    "parse_date",
    "record_procedure_outcome",
    "today_utc",
    "visit_reference",
    "void_entry",
]
