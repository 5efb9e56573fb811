"""Eligibility, the coordinators' review workflow, queries, case and control cohorts.

Built on `crf`: its data, its write services and its access module (`crf.access`).
"""
