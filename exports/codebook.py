"""The codebook of an export: every variable of every table, as CSV and JSON.

Built from the table plans (`exports.deid`), so it describes exactly the columns written:
name, label, type, unit, codes and their labels, the numbers Stata and SPSS use for them,
missing-data codes, whether the value is derived and by which rule version, what
de-identification did to it, and the dictionary field it comes from. The JSON also lists the
fields withheld from the export and why, and how missing data are represented per format.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields

from crf.scores import RULE_VERSIONS
from exports import extensions
from exports.deid import TREATMENTS, TablePlan
from exports.formats.columns import (
    BOOLEAN,
    BOOLEAN_LABELS,
    CODE,
    MISSING_CODES,
    SPSS_MISSING,
    STATA_MISSING,
    ColumnSpec,
    code_numbers,
)

# Which rules of `crf.scores` compute each derived field (keys of RULE_VERSIONS).
RULES_OF: dict[str, tuple[str, ...]] = {
    "demographics.temporal_relation": ("temporal_relation",),
    "slicccriteria.classification": ("slicc_2012",),
    "slicccriteria.clinical_count": ("slicc_2012",),
    "slicccriteria.immunological_count": ("slicc_2012",),
    "eularacrcriteria.entry_criterion": ("eular_acr_2019",),
    "eularacrcriteria.points": ("eular_acr_2019",),
    "eularacrcriteria.classification": ("eular_acr_2019",),
    "sledaiassessment.score": ("sledai_2k",),
    "sledaiassessment.clinical_score": ("clinical_sledai",),
    "haematologicaldisease.cytogenetic_risk": ("ipssr_cytogenetic_risk",),
    "haematologicaldisease.ipssr_score": ("ipssr",),
    "haematologicaldisease.ipssr_category": ("ipssr_category",),
    "haematologicaldisease.ipssr_lower_risk": ("ipssr",),
    "haematologicaldisease.ipssra_score": ("ipssr_age_adjusted",),
    "haematologicaldisease.who2022_computed": ("who2022_mds_subtype", "who2022_cmml"),
    "haematologicaldisease.cmml_subtype_computed": ("who2022_cmml",),
    "haematologicaldisease.who2016_computed": ("who2016_mds_subtype", "who2016_cmml_subgroup"),
    "lupusresponse.derived": ("lupus_response",),
}

MISSING_DATA = {
    "not entered": "blank in CSV/XLSX, null in Parquet, system missing in Stata/SPSS",
    **{
        code: f"`{code}` in CSV/XLSX/Parquet, .{STATA_MISSING[code]} in Stata, "
        f"{SPSS_MISSING[code]} (user-missing) in SPSS"
        for code in MISSING_CODES
    },
    "measured values": "a measured value x is empty when missing and its x_missing column "
    "gives the reason; in Stata/SPSS x also carries the reason as above",
}


@dataclass(frozen=True, slots=True)
class CodebookEntry:
    table: str
    name: str
    label: str
    type: str
    unit: str
    codes: str  # `code=Label | ...`: the real answers (missing-data codes apart)
    numeric_codes: str  # how Stata and SPSS number them: `1=code | 2=code ...`
    missing_codes: str  # missing-data codes the variable may hold, `code | code`
    missing_reason_in: str  # for a measured value: the variable giving why it is empty
    derived: bool
    rule_version: str  # the current version of the rule(s) deriving it, where known
    deidentification: str
    source: str  # the data-dictionary field, `table.field` ("" for generated keys)


COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(CodebookEntry))


def codebook_rows(plans: Iterable[TablePlan]) -> list[CodebookEntry]:
    return [_entry(plan.name, column) for plan in plans for column in plan.columns]


def withheld_rows(plans: Iterable[TablePlan]) -> list[dict[str, str]]:
    """Dictionary fields the export leaves out, and why."""
    return [
        {"table": plan.name, "source": d.source, "reason": d.reason}
        for plan in plans
        for d in plan.decisions
        if not d.columns
    ]


def to_csv(rows: Iterable[CodebookEntry]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        record = asdict(row)
        record["derived"] = "true" if row.derived else "false"  # as exports.dictionary does
        writer.writerow(record)
    return out.getvalue()


def to_json(plans: Iterable[TablePlan]) -> str:
    plans = list(plans)
    document = {
        "variables": [asdict(row) for row in codebook_rows(plans)],
        "withheld": withheld_rows(plans),
        "missing_data": MISSING_DATA,
        "case_variables": case_variables_notes(plans),
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def case_variables_notes(plans: Iterable[TablePlan]) -> list[dict[str, object]]:
    """The variables other apps add to the wide table (exports.extensions), and what a
    freeze's export gives for them."""
    exported = {c.source for plan in plans for c in plan.columns}
    notes: list[dict[str, object]] = []
    for group in extensions.groups():
        codes = [v.code for v in group.variables]
        notes.append(
            {
                "variables": codes,
                "exported": [code for code in codes if code in exported],
                "current_data": "as stored in the registry when exported",
                "freeze": str(group.freeze_note),
            }
        )
    return notes


def rule_version(source: str) -> str:
    names = RULES_OF.get(source, ())
    return "; ".join(dict.fromkeys(RULE_VERSIONS[n] for n in names))


def _entry(table: str, column: ColumnSpec) -> CodebookEntry:
    return CodebookEntry(
        table=table,
        name=column.name,
        label=column.label,
        type=column.kind,
        unit=column.unit,
        codes=" | ".join(f"{code}={label}" for code, label in column.value_labels),
        numeric_codes=_numeric_codes(column),
        missing_codes=" | ".join(column.missing_codes),
        missing_reason_in=column.missing_reason,
        derived=column.derived or column.source in RULES_OF,
        rule_version=rule_version(column.source),
        deidentification=str(TREATMENTS.get(column.treatment, column.treatment)),
        source=column.source,
    )


def _numeric_codes(column: ColumnSpec) -> str:
    if column.kind == CODE:
        return " | ".join(f"{n}={code}" for code, n in code_numbers(column).items())
    if column.kind == BOOLEAN:
        return " | ".join(f"{n}={label}" for n, label in BOOLEAN_LABELS)
    return ""
