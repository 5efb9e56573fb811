"""The case report form: typed models per section, validation rules, clinical scores."""
