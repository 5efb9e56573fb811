"""One vocabulary: every code a derivation can store is a choice of its field.

The code lists live once in `crf.codes`; the models build their choices from them and the
scores return their members. A renamed code (say `not_evaluable`) must fail here, before a
Stata or SPSS value label misses it.
"""

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crf import derive
from crf.codes import Codes, Missing
from crf.models import (
    CRF_MODELS,
    Case,
    CentralReview,
    Demographics,
    EularAcrCriteria,
    HaematologicalDisease,
    Identity,
    LupusResponse,
    NgsTest,
    NgsVariant,
    SerologyPanel,
    SkinBiopsy,
    SledaiAssessment,
    SliccCriteria,
)
from crf.rows import CaseRows


def computed_fields():
    return [
        (model, field)
        for model in CRF_MODELS
        for field in model._meta.concrete_fields
        if not field.editable and field.choices and getattr(field, "codes", None)
    ]


def test_every_computed_code_field_offers_exactly_its_code_list():
    assert len(computed_fields()) >= 10
    for model, field in computed_fields():
        assert issubclass(field.codes, Codes), (model, field.name)
        offered = {code for code, _ in field.choices}
        assert offered == set(field.codes.values), (model.__name__, field.name)


def test_every_coded_field_offers_the_missing_codes_unless_computed_or_required():
    for model in CRF_MODELS:
        for field in model._meta.concrete_fields:
            codes = getattr(field, "codes", None)
            if codes is None or not field.editable or field.name.endswith("_precision"):
                continue
            offered = {code for code, _ in field.choices}
            assert offered >= set(codes.values) - {"aml"}, (model.__name__, field.name)


def _choices(model, name):
    return st.sampled_from(["", *(c for c, _ in model._meta.get_field(name).choices)])


def _coded(model):
    return {
        f.name: _choices(model, f.name)
        for f in model._meta.concrete_fields
        if f.editable and f.choices and not f.is_relation
    }


def _numbers(model):
    return {
        f.name: st.one_of(st.none(), st.floats(min_value=0, max_value=f.bounds[1] or 100))
        for f in model._meta.concrete_fields
        if hasattr(f, "bounds")
    }


def _booleans(model):
    return {
        f.name: st.booleans()
        for f in model._meta.concrete_fields
        if f.editable and f.get_internal_type() == "BooleanField"
    }


def row_of(model, **fixed):
    fields = {**_coded(model), **_numbers(model), **_booleans(model)}
    return st.fixed_dictionaries(fields).map(lambda values: model(**{**values, **fixed}))


DAYS = st.dates(min_value=dt.date(1975, 1, 1), max_value=dt.date(2024, 12, 31))


@st.composite
def cases(draw):
    case = Case(group=draw(st.sampled_from(["case", "control"])))
    identity = Identity(case=case, date_of_birth=draw(DAYS))
    demo = draw(row_of(Demographics, case=case))
    demo.le_diagnosis_date, demo.last_followup_date = draw(DAYS), draw(DAYS)
    haem = draw(row_of(HaematologicalDisease, case=case, abnormality_count=None))
    haem.diagnosis_date = draw(DAYS)
    tests = draw(st.lists(row_of(NgsTest, case=case), max_size=3))
    genes = st.sampled_from(["TET2", "SF3B1", "TP53", "KRAS"])
    variants = [
        NgsVariant(test=test, gene=draw(genes), vaf=draw(st.floats(1, 100)))
        for test in tests
        for _ in range(draw(st.integers(0, 2)))
    ]
    biopsy = draw(row_of(SkinBiopsy, case=case))
    review = draw(row_of(CentralReview, biopsy=biopsy))
    sledai = draw(row_of(SledaiAssessment, case=case))
    response = draw(row_of(LupusResponse, sledai=sledai))
    rows = {
        Identity: [identity],
        Demographics: [demo],
        HaematologicalDisease: [haem],
        SliccCriteria: [draw(row_of(SliccCriteria, case=case))],
        EularAcrCriteria: [draw(row_of(EularAcrCriteria, case=case))],
        SerologyPanel: [
            draw(row_of(SerologyPanel, case=case, at_le_diagnosis=True, ana_titre=None))
        ],
        SledaiAssessment: [sledai],
        NgsTest: tests,
        NgsVariant: variants,
        SkinBiopsy: [biopsy],
        CentralReview: [review],
        LupusResponse: [response],
    }
    return CaseRows(case=case, rows=rows)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_derived_code_is_a_choice_of_its_field(rows):
    for row, values in derive.derive_case(rows):
        for name, value in values.items():
            field = type(row)._meta.get_field(name)
            if field.choices and value != "":
                offered = {code for code, _ in field.choices}
                assert value in offered, (type(row).__name__, name, value)
                assert value not in Missing.values  # a derivation never invents a reason
