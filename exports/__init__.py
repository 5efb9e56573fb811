"""De-identification, the data dictionary, file formats, scheduled exports, analysis, import."""
