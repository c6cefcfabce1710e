"""Cohort statistics: how automatic scale items agree with clinicians' across many recordings.

:mod:`.agreement` computes the statistics (pure); :mod:`.tables` reads the tidy score table from
CSV or Parquet; :mod:`.plots` draws Bland-Altman plots. Needs the ``research`` extra
(``pip install 'synkinesis[research]'``: pandas, pingouin, statsmodels).
"""
