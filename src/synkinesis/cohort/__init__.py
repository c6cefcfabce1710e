"""Cohorts: whole archives of recordings into tables, and how automatic scale items agree with
clinicians' across them.

:mod:`.batch` runs every recording of an archive through the one workflow, resumably, in a
local process pool or on a Dask cluster (``synk batch``), its workers held to one core each and
their memory flat by :mod:`.cluster`; :mod:`.tables` builds and writes the
cohort tables (patterns, scales, recordings) and reads the tidy score table; :mod:`.agreement`
computes the agreement statistics (pure); :mod:`.plots` draws Bland-Altman plots. Needs the
``research`` extra (``pip install 'synkinesis[research]'``: pandas, pingouin, statsmodels);
a Dask cluster also the ``cluster`` extra (dask, distributed). docs/cohort.md, docs/agreement.md.
"""
