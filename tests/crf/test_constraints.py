"""Database constraints hold the invariants even when application validation is bypassed."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from crf import models as crf
from registry.models import Membership, Role
from tests.factories import (
    CaseFactory,
    HaematologicalDiseaseFactory,
    SkinBiopsyFactory,
    TreatmentFactory,
    UserFactory,
)


def refused(create) -> bool:
    try:
        with transaction.atomic():
            create()
    except IntegrityError:
        return True
    return False


BAD_CASE_ROWS = {
    "withdrawn without reason": lambda c: crf.Case.objects.filter(pk=c.pk).update(
        status="withdrawn"
    ),
    "case code not generated": lambda c: crf.Case.objects.filter(pk=c.pk).update(code="PATIENT1"),
    "initials in lower case": lambda c: crf.Identity.objects.create(
        case=c, local_identifier="X", initials="jd", date_of_birth=dt.date(1950, 1, 1)
    ),
    "Hb and a missing reason together": lambda c: HaematologicalDiseaseFactory(
        case=c, hb=9.0, hb_missing="not_done"
    ),
    "Hb in g/L (108)": lambda c: HaematologicalDiseaseFactory(case=c, hb=108),
    "negative platelets": lambda c: HaematologicalDiseaseFactory(case=c, platelets=-1),
    "override without justification": lambda c: HaematologicalDiseaseFactory(
        case=c, cytogenetic_risk_override="poor"
    ),
    "haematological disease unstated": lambda c: HaematologicalDiseaseFactory(case=c, disease=""),
    "UBA1 result without a test": lambda c: HaematologicalDiseaseFactory(
        case=c, uba1_tested="no", uba1_result="mutated"
    ),
    "death date for a living patient": lambda c: crf.Demographics.objects.create(
        case=c, vital_status="alive", death_date=dt.date(2020, 1, 1)
    ),
    "ANA titre with negative ANA": lambda c: crf.SerologyPanel.objects.create(
        case=c, ana="negative", ana_titre=160
    ),
    "ANA titre off the scale": lambda c: crf.SerologyPanel.objects.create(
        case=c, ana="positive", ana_titre=100
    ),
    "two serology panels at LE diagnosis": lambda c: [
        crf.SerologyPanel.objects.create(case=c, at_le_diagnosis=True) for _ in range(2)
    ],
    "dsDNA method without a dsDNA result": lambda c: crf.SerologyPanel.objects.create(
        case=c, anti_dsdna_method="elisa"
    ),
    "two SLEDAI-2K at LE diagnosis": lambda c: [
        crf.SledaiAssessment.objects.create(case=c, context="le_diagnosis") for _ in range(2)
    ],
    "SLEDAI-2K without context": lambda c: crf.SledaiAssessment.objects.create(case=c),
    "non-specific lesion unnamed": lambda c: crf.CutaneousLesion.objects.create(
        case=c, subtype="le_nonspecific"
    ),
    "nephritis class without renal involvement": lambda c: crf.LupusProfile.objects.create(
        case=c, renal="no", nephritis_class="IV"
    ),
    "dose without unit": lambda c: TreatmentFactory(case=c, dose=400, dose_unit=""),
    "other agent unnamed": lambda c: TreatmentFactory(case=c, agent="other", agent_other=""),
    "blood NGS linked to a skin biopsy": lambda c: crf.NgsTest.objects.create(
        case=c, tissue="peripheral_blood", skin_biopsy=SkinBiopsyFactory(case=c)
    ),
    "gene symbol in lower case": lambda c: crf.NgsVariant.objects.create(
        test=crf.NgsTest.objects.create(case=c, tissue="bone_marrow"), gene="tet2"
    ),
    "HGVS c. without prefix": lambda c: crf.NgsVariant.objects.create(
        test=crf.NgsTest.objects.create(case=c, tissue="bone_marrow"), gene="TET2", hgvs_c="1234C>T"
    ),
    "VAF above 100%": lambda c: crf.NgsVariant.objects.create(
        test=crf.NgsTest.objects.create(case=c, tissue="bone_marrow"), gene="TET2", vaf=150
    ),
    "lupus band without immunofluorescence": lambda c: crf.CentralReview.objects.create(
        biopsy=SkinBiopsyFactory(case=c), diagnosis="cle", dif_done="no", lupus_band_positive="yes"
    ),
    "IWG 2023 marrow CR": lambda c: crf.HaematologicalResponse.objects.create(
        treatment=TreatmentFactory(case=c), criteria="iwg_2023", category="marrow_cr"
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("create", BAD_CASE_ROWS.values(), ids=BAD_CASE_ROWS.keys())
def test_database_refuses(create):
    case = CaseFactory()
    assert refused(lambda: create(case))


@pytest.mark.django_db
def test_good_rows_are_accepted():
    """The constraints are not so tight that plausible data fails."""
    case = CaseFactory()
    HaematologicalDiseaseFactory(case=case, hb=10.8, hb_missing="", platelets=130, anc=1.215)
    crf.SerologyPanel.objects.create(case=case, at_le_diagnosis=True, ana="positive", ana_titre=160)
    test = crf.NgsTest.objects.create(case=case, tissue="peripheral_blood", result="variants")
    crf.NgsVariant.objects.create(
        test=test, gene="TET2", hgvs_c="c.3954G>A", hgvs_p="p.Trp1318*", vaf=71
    )
    TreatmentFactory(case=case, started_on=dt.date(2020, 1, 1), ended_on=dt.date(2020, 1, 1))
    assert crf.NgsVariant.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "with_centre"),
    [(Role.INVESTIGATOR, False), (Role.COORDINATOR, True), (Role.STATISTICIAN, True)],
)
def test_membership_centre_must_match_role(centre_a, role, with_centre):
    user = UserFactory()
    assert refused(
        lambda: Membership.objects.create(
            user=user, role=role, centre=centre_a if with_centre else None
        )
    )


@pytest.mark.django_db
def test_an_investigator_has_one_centre(centre_a, centre_b):
    user = UserFactory()
    Membership.objects.create(user=user, role=Role.INVESTIGATOR, centre=centre_a)
    assert refused(
        lambda: Membership.objects.create(user=user, role=Role.INVESTIGATOR, centre=centre_b)
    )
