from tests.factories import DemographicsFactory, HaematologicalDiseaseFactory


def test_sections_attach_to_their_case(case_a):
    demo = DemographicsFactory(case=case_a)
    haem = HaematologicalDiseaseFactory(case=case_a)
    case_a.refresh_from_db()
    assert case_a.demographics == demo
    assert case_a.haematologicaldisease == haem
    assert case_a.code.startswith("LE-")


def test_every_scored_instrument_item_has_its_model_field():
    """The instruments' codes live in crf.scores; the CRF models must carry each as a field."""
    from crf import scores
    from crf.models import EularAcrCriteria, HaematologicalDisease, SledaiAssessment, SliccCriteria

    def fields(model) -> set[str]:
        return {f.name for f in model._meta.fields}

    assert set(scores.SLEDAI_WEIGHTS) <= fields(SledaiAssessment)
    assert set(scores.SLICC_CLINICAL_CODES + scores.SLICC_IMMUNOLOGICAL_CODES) <= fields(
        SliccCriteria
    )
    assert set(scores.EULAR_ACR_WEIGHTS) <= fields(EularAcrCriteria)
    assert set(scores.CYTOGENETIC_ABNORMALITY_CODES) <= fields(HaematologicalDisease)
