"""Eligibility, the coordinators' review workflow, queries, case and control cohorts.

Built on `crf` (the data) and `registry.access` (who may see it).
"""
