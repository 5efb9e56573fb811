"""The validation rules, by CRF area. Importing this package registers them."""

from . import general, haematology, lupus, ngs, treatment, units  # noqa: F401
