"""Sections 2–4: lupus erythematosus, classification criteria, activity, skin, serology."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crf.codes import (
    AnaPattern,
    Articular,
    Classification,
    CleSubtype,
    DsDnaMethod,
    Isotype,
    LeType,
    NephritisClass,
    SledaiContext,
    SledaiItem,
    SliccClinical,
    SliccImmunological,
    TestResult,
    TitreLevel,
)

from .base import RowOfCase, SectionOfCase, rule_version_field
from .fields import (
    ALL_GROUPS,
    MISSING_CODES,
    Required,
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


@crf_model(section=_("2. Lupus erythematosus"))
class LupusProfile(SectionOfCase):
    required = Required(
        fields=(
            "le_type", "cutaneous", "articular", "pleuritis", "pericarditis", "renal",
            "neurological", "autoimmune_haemolytic_anaemia", "antiphospholipid_syndrome",
            "drug_induced_suspected",
        ),
        when={
            "nephritis_class": Q(renal="yes"),
            "drug_induced_drug": Q(drug_induced_suspected="yes"),
            # Controls are idiopathic SLE: "none known" is an eligibility criterion.
            "haematological_malignancy": Q(le_type="sle"),
        },
        groups=ALL_GROUPS,
    )  # fmt: skip
    le_type = coded(LeType, _("LE type"))
    cutaneous = answer(_("cutaneous involvement"))
    articular = coded(Articular, _("articular involvement"))
    pleuritis = answer(_("pleuritis"))
    pericarditis = answer(_("pericarditis"))
    renal = answer(_("renal involvement"))
    lupus_nephritis_biopsy_proven = export_as(
        answer(_("lupus nephritis, biopsy-proven")), "nephritis_biopsy"
    )
    nephritis_class = coded(NephritisClass, _("ISN/RPS class"))
    neurological = answer(_("neurological involvement"))
    neurological_detail = free_text(_("neurological involvement, details"))
    autoimmune_haemolytic_anaemia = export_as(answer(_("autoimmune haemolytic anaemia")), "aiha")
    antiphospholipid_syndrome = answer(_("antiphospholipid syndrome"))
    aps_arterial = answer(_("APS: arterial thrombosis"))
    aps_venous = answer(_("APS: venous thrombosis"))
    aps_obstetric = answer(_("APS: obstetric"))
    fever = answer(_("fever attributed to LE"))
    # Controls (idiopathic SLE) must have none: an eligibility criterion (crf.md section 10).
    haematological_malignancy = answer(_("known haematological malignancy"))
    mcv, mcv_missing = measurement(_("MCV at LE diagnosis"), unit="fL", minimum=40, maximum=150)
    drug_induced_suspected = answer(_("drug-induced lupus suspected"))
    drug_induced_drug = free_text(_("suspected drug"))

    class Meta:
        verbose_name = _("lupus profile")
        verbose_name_plural = _("lupus profiles")
        constraints = [
            models.CheckConstraint(
                name="lupusprofile_class_needs_nephritis",
                condition=Q(nephritis_class="")
                | Q(nephritis_class__in=sorted(MISSING_CODES))
                | Q(renal="yes"),
                violation_error_message=_("A nephritis class needs renal involvement = yes."),
            ),
        ]


@crf_model(section=_("2. Lupus erythematosus: SLICC 2012"))
class SliccCriteria(SectionOfCase):
    required = Required(
        fields=(*SliccClinical.values, *SliccImmunological.values, "biopsy_proven_nephritis"),
        groups=ALL_GROUPS,
    )
    acute_or_subacute_cle = answer(_("acute or subacute cutaneous lupus"))
    chronic_cle = answer(_("chronic cutaneous lupus"))
    oral_nasal_ulcers = answer(_("oral or nasal ulcers"))
    nonscarring_alopecia = answer(_("non-scarring alopecia"))
    synovitis = answer(_("synovitis (≥ 2 joints)"))
    serositis = answer(_("serositis"))
    renal = answer(_("renal (≥ 500 mg/24 h protein or RBC casts)"))
    neurologic = answer(_("neurologic"))
    haemolytic_anaemia = answer(_("haemolytic anaemia"))
    leukopenia_or_lymphopenia = answer(_("leukopenia or lymphopenia"))
    thrombocytopenia = answer(_("thrombocytopenia"))
    ana = answer(_("ANA above reference range"))
    anti_dsdna = answer(_("anti-dsDNA"))
    anti_sm = answer(_("anti-Sm"))
    antiphospholipid = answer(_("antiphospholipid antibody"))
    low_complement = answer(_("low complement"))
    direct_coombs = answer(_("direct Coombs (without haemolytic anaemia)"))
    biopsy_proven_nephritis = answer(_("biopsy-proven lupus nephritis"))

    classification = computed(Classification, _("SLICC 2012 classification"))
    clinical_count = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    immunological_count = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    rule_version = rule_version_field()

    class Meta:
        verbose_name = _("SLICC criteria")
        verbose_name_plural = _("SLICC criteria")
        constraints = []


@crf_model(section=_("2. Lupus erythematosus: EULAR/ACR 2019"))
class EularAcrCriteria(SectionOfCase):
    fever = answer(_("fever > 38.3 °C"))
    leukopenia = answer(_("leukopenia < 4 ×10⁹/L"))
    thrombocytopenia = answer(_("thrombocytopenia < 100 ×10⁹/L"))
    autoimmune_haemolysis = answer(_("autoimmune haemolysis"))
    delirium = answer(_("delirium"))
    psychosis = answer(_("psychosis"))
    seizure = answer(_("seizure"))
    nonscarring_alopecia = answer(_("non-scarring alopecia"))
    oral_ulcers = answer(_("oral ulcers"))
    subacute_or_discoid_cle = answer(_("subacute cutaneous or discoid lupus"))
    acute_cle = answer(_("acute cutaneous lupus"))
    pleural_or_pericardial_effusion = export_as(
        answer(_("pleural or pericardial effusion")), "serosal_effusion"
    )
    acute_pericarditis = answer(_("acute pericarditis"))
    joint_involvement = answer(_("joint involvement"))
    proteinuria = answer(_("proteinuria > 0.5 g/24 h"))
    class_ii_or_v_nephritis = answer(_("renal biopsy class II or V lupus nephritis"))
    class_iii_or_iv_nephritis = answer(_("renal biopsy class III or IV lupus nephritis"))
    antiphospholipid = answer(_("antiphospholipid antibodies"))
    low_c3_or_c4 = answer(_("low C3 or low C4"))
    low_c3_and_c4 = answer(_("low C3 and low C4"))
    anti_dsdna_or_anti_sm = answer(_("anti-dsDNA or anti-Sm"))

    # Derived; the entry criterion reads the ANA titre of the serology at LE diagnosis.
    entry_criterion = computed(Classification, _("entry criterion (ANA ≥ 1:80)"))
    points = models.PositiveSmallIntegerField(null=True, blank=True, editable=False)
    classification = computed(Classification, _("EULAR/ACR 2019 classification"))
    rule_version = rule_version_field()

    class Meta:
        verbose_name = _("EULAR/ACR criteria")
        verbose_name_plural = _("EULAR/ACR criteria")
        constraints = []


@crf_model(section=_("2. Lupus erythematosus: SLEDAI-2K"))
class SledaiAssessment(RowOfCase):
    required = Required(
        fields=("context", *SledaiItem.values),
        groups=ALL_GROUPS,
        rows=Q(context="le_diagnosis"),
    )
    context = coded(SledaiContext, _("context"), missing=False)
    assessed_on = date_field(_("assessment date"))
    seizure = answer(_("seizure"))
    psychosis = answer(_("psychosis"))
    organic_brain_syndrome = answer(_("organic brain syndrome"))
    visual_disturbance = answer(_("visual disturbance"))
    cranial_nerve_disorder = answer(_("cranial nerve disorder"))
    lupus_headache = answer(_("lupus headache"))
    cva = answer(_("cerebrovascular accident"))
    vasculitis = answer(_("vasculitis"))
    arthritis = answer(_("arthritis"))
    myositis = answer(_("myositis"))
    urinary_casts = answer(_("urinary casts"))
    haematuria = answer(_("haematuria"))
    proteinuria = answer(_("proteinuria"))
    pyuria = answer(_("pyuria"))
    rash = answer(_("rash"))
    alopecia = answer(_("alopecia"))
    mucosal_ulcers = answer(_("mucosal ulcers"))
    pleurisy = answer(_("pleurisy"))
    pericarditis = answer(_("pericarditis"))
    low_complement = answer(_("low complement"))
    increased_dna_binding = answer(_("increased DNA binding"))
    fever = answer(_("fever"))
    thrombocytopenia = answer(_("thrombocytopenia"))
    leukopenia = answer(_("leukopenia"))

    score = models.PositiveSmallIntegerField(_("SLEDAI-2K"), null=True, blank=True, editable=False)
    clinical_score = models.PositiveSmallIntegerField(
        _("clinical SLEDAI-2K"), null=True, blank=True, editable=False
    )
    rule_version = rule_version_field()

    class Meta:
        verbose_name = _("SLEDAI-2K assessment")
        verbose_name_plural = _("SLEDAI-2K assessments")
        ordering = ["case", "assessed_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(context="le_diagnosis"),
                name="sledai_one_at_le_diagnosis",
                violation_error_message=_("A case has one SLEDAI-2K at LE diagnosis."),
            ),
            models.CheckConstraint(
                name="sledai_context_given",
                condition=~Q(context=""),
                violation_error_message=_("Say when this SLEDAI-2K was assessed (context)."),
            ),
            models.CheckConstraint(name="sledai_score_range", condition=Q(score__lte=105)),
        ]


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


@crf_model(section=_("3. Cutaneous lesions"))
class CutaneousLesion(RowOfCase):
    required = Required(fields=("subtype",))
    subtype = coded(CleSubtype, _("Gilliam–Sontheimer subtype"))
    lesion_named = free_text(_("lesion (for LE-non-specific)"), max_length=200)
    site_face = models.BooleanField(_("site: face"), default=False)
    site_ears = models.BooleanField(_("site: ears"), default=False)
    site_scalp = models.BooleanField(_("site: scalp"), default=False)
    site_fingers = models.BooleanField(_("site: fingers"), default=False)
    site_toes = models.BooleanField(_("site: toes"), default=False)
    site_hands = models.BooleanField(_("site: hands"), default=False)
    site_trunk = models.BooleanField(_("site: trunk"), default=False)
    site_limbs = models.BooleanField(_("site: limbs"), default=False)
    site_mucosa = models.BooleanField(_("site: mucosa"), default=False)
    ulceration = answer(_("ulceration"))

    class Meta:
        verbose_name = _("cutaneous lesion")
        verbose_name_plural = _("cutaneous lesions")
        ordering = ["case", "pk"]
        constraints = [
            required_when(
                "lesion_named", Q(subtype="le_nonspecific"), _("the lesion is LE-non-specific")
            ),
        ]


ANA_TITRES = (80, 160, 320, 640, 1280, 2560)


@crf_model(section=_("4. Autoantibodies and complement"))
class SerologyPanel(RowOfCase):
    required = Required(
        fields=(
            "ana", "anti_dsdna", "anti_ssa", "anti_ssb", "anti_nucleosome", "anti_rnp",
            "anti_sm", "anti_cardiolipin", "anti_b2gpi", "lupus_anticoagulant", "c3", "c4",
        ),
        when={"ana_titre": Q(ana="positive")},
        groups=ALL_GROUPS,
        rows=Q(at_le_diagnosis=True),
    )  # fmt: skip
    sampled_on = date_field(_("sample date"))
    at_le_diagnosis = models.BooleanField(_("at LE diagnosis"), default=False)
    ana = result(_("ANA"))
    ana_titre = models.PositiveIntegerField(
        _("ANA titre (reciprocal)"),
        null=True,
        blank=True,
        choices=[(t, f"1:{t}") for t in ANA_TITRES],
    )
    ana_pattern = coded(AnaPattern, _("ANA pattern"))
    anti_dsdna = result(_("anti-dsDNA"))
    anti_dsdna_method = coded(DsDnaMethod, _("anti-dsDNA method"))
    anti_ssa = result(_("anti-SSA/Ro"))
    anti_ssb = result(_("anti-SSB/La"))
    anti_nucleosome = result(_("anti-nucleosome"))
    anti_rnp = result(_("anti-RNP"))
    anti_sm = result(_("anti-Sm"))
    anti_cardiolipin = result(_("anti-cardiolipin"))
    anti_cardiolipin_isotype = coded(Isotype, _("anti-cardiolipin isotype"))
    anti_cardiolipin_level = coded(TitreLevel, _("anti-cardiolipin titre level"))
    anti_b2gpi = result(_("anti-β2GPI"))
    lupus_anticoagulant = result(_("lupus anticoagulant"))
    direct_coombs = result(_("direct Coombs"))
    c3, c3_missing = measurement(_("C3"), unit="g/L", maximum=10)
    c3_lower_limit = with_unit(
        models.FloatField(_("C3 lower limit of normal"), null=True, blank=True), "g/L"
    )
    c4, c4_missing = measurement(_("C4"), unit="g/L", maximum=5)
    c4_lower_limit = with_unit(
        models.FloatField(_("C4 lower limit of normal"), null=True, blank=True), "g/L"
    )
    # Derived: below the laboratory's lower limit.
    low_c3 = models.BooleanField(null=True, editable=False)
    low_c4 = models.BooleanField(null=True, editable=False)

    class Meta:
        verbose_name = _("serology panel")
        verbose_name_plural = _("serology panels")
        ordering = ["case", "sampled_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(at_le_diagnosis=True),
                name="serology_one_at_le_diagnosis",
                violation_error_message=_("A case has one serology panel at LE diagnosis."),
            ),
            only_when("ana_titre", Q(ana=TestResult.POSITIVE.value), _("ANA is positive")),
            models.CheckConstraint(
                name="serology_ana_titre_known",
                condition=Q(ana_titre__isnull=True) | Q(ana_titre__in=ANA_TITRES),
                violation_error_message=_(
                    "ANA titre must be one of 80, 160, 320, 640, 1280, 2560."
                ),
            ),
            only_when(
                "anti_dsdna_method",
                ~Q(anti_dsdna=""),
                _("anti-dsDNA was tested"),
                empty=Q(anti_dsdna_method=""),
            ),
        ]
