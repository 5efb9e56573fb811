from tests.factories import DemographicsFactory, HaematologicalDiseaseFactory


def test_sections_attach_to_their_case(case_a):
    demo = DemographicsFactory(case=case_a)
    haem = HaematologicalDiseaseFactory(case=case_a)
    case_a.refresh_from_db()
    assert case_a.demographics == demo
    assert case_a.haematologicaldisease == haem
    assert case_a.code.startswith("LE-")
