"""Sections 2–4: lupus erythematosus, classification criteria, activity, skin, serology."""

from django.db import models
from django.db.models import Q

from crf import scores

from .base import RowOfCase, SectionOfCase, rule_version_field
from .fields import (
    MISSING_CODES,
    TestResult,
    answer,
    coded,
    computed,
    crf_model,
    date_field,
    export_as,
    free_text,
    measurement,
    only_when,
    required_when,
    result,
    with_unit,
)


class LeType(models.TextChoices):
    SLE = "sle", "Systemic lupus erythematosus"
    ISOLATED_CLE = "isolated_cle", "Isolated cutaneous lupus"


class Articular(models.TextChoices):
    NONE = "none", "None"
    ARTHRALGIA = "arthralgia", "Inflammatory arthralgia"
    ARTHRITIS = "arthritis", "Arthritis / synovitis"


class NephritisClass(models.TextChoices):
    I = "I", "Class I"  # noqa: E741
    II = "II", "Class II"
    III = "III", "Class III"
    IV = "IV", "Class IV"
    V = "V", "Class V"
    VI = "VI", "Class VI"


class Classification(models.TextChoices):
    MET = "met", "Met"
    NOT_MET = "not_met", "Not met"
    UNDETERMINED = "undetermined", "Undetermined (unknown items could change it)"


@crf_model(section="2. Lupus erythematosus")
class LupusProfile(SectionOfCase):
    le_type = coded(LeType, "LE type")
    cutaneous = answer("cutaneous involvement")
    articular = coded(Articular, "articular involvement")
    pleuritis = answer("pleuritis")
    pericarditis = answer("pericarditis")
    renal = answer("renal involvement")
    lupus_nephritis_biopsy_proven = export_as(
        answer("lupus nephritis, biopsy-proven"), "nephritis_biopsy"
    )
    nephritis_class = coded(NephritisClass, "ISN/RPS class")
    neurological = answer("neurological involvement")
    neurological_detail = free_text("neurological involvement, details")
    autoimmune_haemolytic_anaemia = export_as(answer("autoimmune haemolytic anaemia"), "aiha")
    antiphospholipid_syndrome = answer("antiphospholipid syndrome")
    aps_arterial = answer("APS: arterial thrombosis")
    aps_venous = answer("APS: venous thrombosis")
    aps_obstetric = answer("APS: obstetric")
    fever = answer("fever attributed to LE")
    # Controls (idiopathic SLE) must have none: an eligibility criterion (crf.md section 10).
    haematological_malignancy = answer("known haematological malignancy")
    mcv, mcv_missing = measurement("MCV at LE diagnosis", unit="fL", minimum=40, maximum=150)
    drug_induced_suspected = answer("drug-induced lupus suspected")
    drug_induced_drug = free_text("suspected drug")

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="lupusprofile_class_needs_nephritis",
                condition=Q(nephritis_class="")
                | Q(nephritis_class__in=sorted(MISSING_CODES))
                | Q(renal="yes"),
                violation_error_message="A nephritis class needs renal involvement = yes.",
            ),
        ]


SLICC_CLINICAL = scores.SLICC_CLINICAL_CODES
SLICC_IMMUNOLOGICAL = scores.SLICC_IMMUNOLOGICAL_CODES


@crf_model(section="2. Lupus erythematosus: SLICC 2012")
class SliccCriteria(SectionOfCase):
    acute_or_subacute_cle = answer("acute or subacute cutaneous lupus")
    chronic_cle = answer("chronic cutaneous lupus")
    oral_nasal_ulcers = answer("oral or nasal ulcers")
    nonscarring_alopecia = answer("non-scarring alopecia")
    synovitis = answer("synovitis (≥ 2 joints)")
    serositis = answer("serositis")
    renal = answer("renal (≥ 500 mg/24 h protein or RBC casts)")
    neurologic = answer("neurologic")
    haemolytic_anaemia = answer("haemolytic anaemia")
    leukopenia_or_lymphopenia = answer("leukopenia or lymphopenia")
    thrombocytopenia = answer("thrombocytopenia")
    ana = answer("ANA above reference range")
    anti_dsdna = answer("anti-dsDNA")
    anti_sm = answer("anti-Sm")
    antiphospholipid = answer("antiphospholipid antibody")
    low_complement = answer("low complement")
    direct_coombs = answer("direct Coombs (without haemolytic anaemia)")
    biopsy_proven_nephritis = answer("biopsy-proven lupus nephritis")

    classification = computed(Classification, "SLICC 2012 classification")
    clinical_count = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    immunological_count = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    rule_version = rule_version_field()

    class Meta:
        verbose_name_plural = "SLICC criteria"
        constraints = []


EULAR_ACR_ITEMS = tuple(scores.EULAR_ACR_WEIGHTS)


@crf_model(section="2. Lupus erythematosus: EULAR/ACR 2019")
class EularAcrCriteria(SectionOfCase):
    fever = answer("fever > 38.3 °C")
    leukopenia = answer("leukopenia < 4 ×10⁹/L")
    thrombocytopenia = answer("thrombocytopenia < 100 ×10⁹/L")
    autoimmune_haemolysis = answer("autoimmune haemolysis")
    delirium = answer("delirium")
    psychosis = answer("psychosis")
    seizure = answer("seizure")
    nonscarring_alopecia = answer("non-scarring alopecia")
    oral_ulcers = answer("oral ulcers")
    subacute_or_discoid_cle = answer("subacute cutaneous or discoid lupus")
    acute_cle = answer("acute cutaneous lupus")
    pleural_or_pericardial_effusion = export_as(
        answer("pleural or pericardial effusion"), "serosal_effusion"
    )
    acute_pericarditis = answer("acute pericarditis")
    joint_involvement = answer("joint involvement")
    proteinuria = answer("proteinuria > 0.5 g/24 h")
    class_ii_or_v_nephritis = answer("renal biopsy class II or V lupus nephritis")
    class_iii_or_iv_nephritis = answer("renal biopsy class III or IV lupus nephritis")
    antiphospholipid = answer("antiphospholipid antibodies")
    low_c3_or_c4 = answer("low C3 or low C4")
    low_c3_and_c4 = answer("low C3 and low C4")
    anti_dsdna_or_anti_sm = answer("anti-dsDNA or anti-Sm")

    # Derived; the entry criterion reads the ANA titre of the serology at LE diagnosis.
    entry_criterion = computed(Classification, "entry criterion (ANA ≥ 1:80)")
    points = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    classification = computed(Classification, "EULAR/ACR 2019 classification")
    rule_version = rule_version_field()

    class Meta:
        verbose_name_plural = "EULAR/ACR criteria"
        constraints = []


SLEDAI_ITEMS = tuple(scores.SLEDAI_WEIGHTS)


class SledaiContext(models.TextChoices):
    LE_DIAGNOSIS = "le_diagnosis", "At LE diagnosis"
    RESPONSE = "response", "Response assessment"
    FOLLOW_UP = "follow_up", "Follow-up"


@crf_model(section="2. Lupus erythematosus: SLEDAI-2K")
class SledaiAssessment(RowOfCase):
    context = coded(SledaiContext, "context", missing=False)
    assessed_on = date_field("assessment date")
    seizure = answer("seizure")
    psychosis = answer("psychosis")
    organic_brain_syndrome = answer("organic brain syndrome")
    visual_disturbance = answer("visual disturbance")
    cranial_nerve_disorder = answer("cranial nerve disorder")
    lupus_headache = answer("lupus headache")
    cva = answer("cerebrovascular accident")
    vasculitis = answer("vasculitis")
    arthritis = answer("arthritis")
    myositis = answer("myositis")
    urinary_casts = answer("urinary casts")
    haematuria = answer("haematuria")
    proteinuria = answer("proteinuria")
    pyuria = answer("pyuria")
    rash = answer("rash")
    alopecia = answer("alopecia")
    mucosal_ulcers = answer("mucosal ulcers")
    pleurisy = answer("pleurisy")
    pericarditis = answer("pericarditis")
    low_complement = answer("low complement")
    increased_dna_binding = answer("increased DNA binding")
    fever = answer("fever")
    thrombocytopenia = answer("thrombocytopenia")
    leukopenia = answer("leukopenia")

    score = models.PositiveSmallIntegerField("SLEDAI-2K", null=True, blank=True, editable=False)
    clinical_score = models.PositiveSmallIntegerField(
        "clinical SLEDAI-2K", null=True, blank=True, editable=False
    )
    rule_version = rule_version_field()

    class Meta:
        ordering = ["case", "assessed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(context="le_diagnosis"),
                name="sledai_one_at_le_diagnosis",
                violation_error_message="A case has one SLEDAI-2K at LE diagnosis.",
            ),
            models.CheckConstraint(
                name="sledai_context_given",
                condition=~Q(context=""),
                violation_error_message="Say when this SLEDAI-2K was assessed (context).",
            ),
            models.CheckConstraint(name="sledai_score_range", condition=Q(score__lte=105)),
        ]


class CleSubtype(models.TextChoices):
    ACLE_LOCALIZED = "acle_localized", "ACLE, localized (malar)"
    ACLE_GENERALIZED = "acle_generalized", "ACLE, generalized"
    SCLE_ANNULAR = "scle_annular", "SCLE, annular"
    SCLE_PAPULOSQUAMOUS = "scle_papulosquamous", "SCLE, papulosquamous"
    DLE_LOCALIZED = "dle_localized", "DLE, localized"
    DLE_GENERALIZED = "dle_generalized", "DLE, generalized"
    HYPERTROPHIC_DLE = "hypertrophic_dle", "Hypertrophic / verrucous DLE"
    LUPUS_PROFUNDUS = "lupus_profundus", "Lupus profundus / panniculitis"
    MUCOSAL_DLE = "mucosal_dle", "Mucosal DLE"
    TUMID = "tumid", "LE tumidus"
    CHILBLAIN = "chilblain", "Chilblain LE"
    DLE_LICHEN_PLANUS_OVERLAP = "dle_lichen_planus_overlap", "DLE / lichen planus overlap"
    LE_NONSPECIFIC = "le_nonspecific", "LE-non-specific lesion (name it)"


# Table 1 groups subtypes this way (KLIP is counted from biopsies, section 7).
TABLE1_CLE_GROUP = {
    "chilblain": "chilblain",
    "dle_localized": "discoid",
    "dle_generalized": "discoid",
    "hypertrophic_dle": "discoid",
    "mucosal_dle": "discoid",
    "dle_lichen_planus_overlap": "discoid",
    "scle_annular": "subacute",
    "scle_papulosquamous": "subacute",
    "acle_localized": "acute",
    "acle_generalized": "acute",
    "tumid": "tumid",
    "lupus_profundus": "profundus",
}

SKIN_SITES = ("face", "ears", "scalp", "fingers", "toes", "hands", "trunk", "limbs", "mucosa")


@crf_model(section="3. Cutaneous lesions")
class CutaneousLesion(RowOfCase):
    subtype = coded(CleSubtype, "Gilliam–Sontheimer subtype")
    lesion_named = free_text("lesion (for LE-non-specific)", max_length=200)
    site_face = models.BooleanField("site: face", default=False)
    site_ears = models.BooleanField("site: ears", default=False)
    site_scalp = models.BooleanField("site: scalp", default=False)
    site_fingers = models.BooleanField("site: fingers", default=False)
    site_toes = models.BooleanField("site: toes", default=False)
    site_hands = models.BooleanField("site: hands", default=False)
    site_trunk = models.BooleanField("site: trunk", default=False)
    site_limbs = models.BooleanField("site: limbs", default=False)
    site_mucosa = models.BooleanField("site: mucosa", default=False)
    ulceration = answer("ulceration")

    class Meta:
        ordering = ["case", "pk"]
        constraints = [
            required_when(
                "lesion_named", Q(subtype="le_nonspecific"), "the lesion is LE-non-specific"
            ),
        ]


class AnaPattern(models.TextChoices):
    HOMOGENEOUS = "homogeneous", "Homogeneous"
    SPECKLED = "speckled", "Speckled"
    NUCLEOLAR = "nucleolar", "Nucleolar"
    CENTROMERE = "centromere", "Centromere"
    OTHER = "other", "Other"


ANA_TITRES = (80, 160, 320, 640, 1280, 2560)


class DsDnaMethod(models.TextChoices):
    ELISA = "elisa", "ELISA"
    FARR = "farr", "Farr"
    CLIFT = "clift", "CLIFT"
    OTHER = "other", "Other"


class Isotype(models.TextChoices):
    IGG = "igg", "IgG"
    IGM = "igm", "IgM"
    IGA = "iga", "IgA"


class TitreLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


@crf_model(section="4. Autoantibodies and complement")
class SerologyPanel(RowOfCase):
    sampled_on = date_field("sample date")
    at_le_diagnosis = models.BooleanField("at LE diagnosis", default=False)
    ana = result("ANA")
    ana_titre = models.PositiveIntegerField(
        "ANA titre (reciprocal)",
        null=True,
        blank=True,
        choices=[(t, f"1:{t}") for t in ANA_TITRES],
    )
    ana_pattern = coded(AnaPattern, "ANA pattern")
    anti_dsdna = result("anti-dsDNA")
    anti_dsdna_method = coded(DsDnaMethod, "anti-dsDNA method")
    anti_ssa = result("anti-SSA/Ro")
    anti_ssb = result("anti-SSB/La")
    anti_nucleosome = result("anti-nucleosome")
    anti_rnp = result("anti-RNP")
    anti_sm = result("anti-Sm")
    anti_cardiolipin = result("anti-cardiolipin")
    anti_cardiolipin_isotype = coded(Isotype, "anti-cardiolipin isotype")
    anti_cardiolipin_level = coded(TitreLevel, "anti-cardiolipin titre level")
    anti_b2gpi = result("anti-β2GPI")
    lupus_anticoagulant = result("lupus anticoagulant")
    direct_coombs = result("direct Coombs")
    c3, c3_missing = measurement("C3", unit="g/L", maximum=10)
    c3_lower_limit = with_unit(
        models.FloatField("C3 lower limit of normal (g/L)", null=True, blank=True), "g/L"
    )
    c4, c4_missing = measurement("C4", unit="g/L", maximum=5)
    c4_lower_limit = with_unit(
        models.FloatField("C4 lower limit of normal (g/L)", null=True, blank=True), "g/L"
    )
    # Derived: below the laboratory's lower limit.
    low_c3 = models.BooleanField(null=True, editable=False)
    low_c4 = models.BooleanField(null=True, editable=False)

    class Meta:
        ordering = ["case", "sampled_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(at_le_diagnosis=True),
                name="serology_one_at_le_diagnosis",
                violation_error_message="A case has one serology panel at LE diagnosis.",
            ),
            only_when("ana_titre", Q(ana=TestResult.POSITIVE), "ANA is positive"),
            models.CheckConstraint(
                name="serology_ana_titre_known",
                condition=Q(ana_titre__isnull=True) | Q(ana_titre__in=ANA_TITRES),
                violation_error_message="ANA titre must be one of 80, 160, 320, 640, 1280, 2560.",
            ),
            only_when(
                "anti_dsdna_method",
                ~Q(anti_dsdna=""),
                "anti-dsDNA was tested",
                empty=Q(anti_dsdna_method=""),
            ),
        ]
