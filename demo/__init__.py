"""Synthetic demo data: centres, accounts and a cohort shaped like the study's, written
through the CRF's batch write path (`crf.batch`), so every `make run` proves that path."""
