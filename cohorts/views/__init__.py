"""The coordinators' pages: case review, queries, dashboard, central pathology, cohorts and
freezes. Thin: `crf.access` decides who sees what, the services in `cohorts` write."""
