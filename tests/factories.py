"""factory_boy factories. Every section row is created in its case, so in its case's centre."""

import datetime as dt

import factory
from factory.django import DjangoModelFactory

from crf import models as crf
from registry.models import Centre, Membership, Role, User


class CentreFactory(DjangoModelFactory):
    class Meta:
        model = Centre
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"c{n:02d}")
    name = factory.Sequence(lambda n: f"Centre hospitalier {n:02d}")
    city = "Paris"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("registry-test")


def user_with_role(role: str, centre: Centre | None = None, **kwargs) -> User:
    """A user holding one membership; investigators need a centre."""
    user = UserFactory(**kwargs)
    Membership.objects.create(
        user=user, role=role, centre=centre if role == Role.INVESTIGATOR else None
    )
    return user


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = crf.Case

    centre = factory.SubFactory(CentreFactory)
    group = crf.Group.CASE


class IdentityFactory(DjangoModelFactory):
    class Meta:
        model = crf.Identity

    case = factory.SubFactory(CaseFactory)
    local_identifier = factory.Sequence(lambda n: f"IPP{100000 + n}")
    initials = "JD"
    date_of_birth = dt.date(1955, 3, 14)


class DemographicsFactory(DjangoModelFactory):
    class Meta:
        model = crf.Demographics

    case = factory.SubFactory(CaseFactory)
    sex = "male"
    le_diagnosis_date = dt.date(2018, 5, 2)
    last_followup_date = dt.date(2023, 1, 10)
    vital_status = "alive"


class HaematologicalDiseaseFactory(DjangoModelFactory):
    class Meta:
        model = crf.HaematologicalDisease

    case = factory.SubFactory(CaseFactory)
    disease = "mds"
    diagnosis_date = dt.date(2018, 6, 1)
    hb = 9.5
    anc = 1.2
    platelets = 130
    bm_blasts = 3
    karyotype = "normal"
    cytogenetics_done = "yes"


class SerologyPanelFactory(DjangoModelFactory):
    class Meta:
        model = crf.SerologyPanel

    case = factory.SubFactory(CaseFactory)
    at_le_diagnosis = True
    ana = "positive"
    ana_titre = 320
    anti_dsdna = "negative"


class SkinBiopsyFactory(DjangoModelFactory):
    class Meta:
        model = crf.SkinBiopsy

    case = factory.SubFactory(CaseFactory)
    taken_on = dt.date(2019, 2, 1)
    site = "fingers"
    clinical_lesion_type = "chilblain"
    local_diagnosis = "cle"


class TreatmentFactory(DjangoModelFactory):
    class Meta:
        model = crf.Treatment

    case = factory.SubFactory(CaseFactory)
    agent = "hydroxychloroquine"
    regimen = "hcq_alone"
    target = "lupus"
    route = "systemic"
    dose = 5.5
    dose_unit = "mg_kg_day"
    started_on = dt.date(2018, 6, 1)
