"""Spreadsheet import: per-section templates (`columns`), reading files (`reader`), the
dry run and the atomic import through `crf.batch` (`sheet_import`), its pages (`views`)
and `manage.py import_sheet`."""
