"""Sections 5–6: the haematological disease (cases only) and next-generation sequencing."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crf.codes import (
    CmmlSubtype,
    Concordance,
    CytogeneticRisk,
    Disease,
    EvolutionState,
    FibrosisGrade,
    IpssrCategory,
    Karyotype,
    NgsResult,
    Tissue,
    TransfusionBurden,
    Uba1Result,
    VariantClass,
    Who2016,
    Who2022,
)

from .base import RowOfCase, SectionOfCase, rule_version_field
from .fields import (
    CASES_ONLY,
    CLINICAL,
    QUASI_IDENTIFIER,
    Required,
    answer,
    classify,
    coded,
    computed,
    crf_model,
    date_field,
    export_as,
    free_text,
    measurement,
    only_when,
    required_when,
)


@crf_model(section=_("5. Haematological disease"))
class HaematologicalDisease(SectionOfCase):
    required = Required(
        fields=(
            "disease", "diagnosis_date", "who2022_recorded", "hb", "platelets", "anc",
            "bm_blasts", "dysgranulopoiesis", "dyserythropoiesis", "dysmegakaryopoiesis",
            "cytogenetics_done", "therapy_related", "vexas_documented",
        ),
        when={
            "karyotype": Q(cytogenetics_done="yes"),
            "monocytes": Q(disease="cmml"),
            "monocytes_pct": Q(disease="cmml"),
            "wbc": Q(disease="cmml"),
            "uba1_result": Q(uba1_tested="yes"),
        },
        groups=CASES_ONLY,
    )  # fmt: skip
    disease = coded(Disease, _("disease"), missing=False)
    diagnosis_date = date_field(_("date of MDS/CMML diagnosis"))
    who2022_recorded = coded(Who2022, _("WHO 2022, as recorded"), exclude=(Who2022.AML,))
    cmml_subtype_recorded = coded(CmmlSubtype, _("CMML subtype, as recorded"))
    who2016_recorded = coded(Who2016, _("WHO 2016, as recorded"), exclude=(Who2016.AML,))
    icc2022_recorded = free_text(_("ICC 2022, as recorded"), max_length=100)

    # Blood counts at diagnosis.
    hb, hb_missing = measurement(_("haemoglobin"), unit="g/dL", maximum=25)
    mcv, mcv_missing = measurement(_("MCV"), unit="fL", minimum=40, maximum=150)
    platelets, platelets_missing = measurement(_("platelets"), unit="×10⁹/L", maximum=3000)
    anc, anc_missing = measurement(_("neutrophils (ANC)"), unit="×10⁹/L", maximum=100)
    wbc, wbc_missing = measurement(_("white blood cells"), unit="×10⁹/L", maximum=500)
    monocytes, monocytes_missing = measurement(_("monocytes"), unit="×10⁹/L", maximum=200)
    monocytes_pct, monocytes_pct_missing = measurement(_("monocytes"), unit="% of WBC", maximum=100)
    lymphocytes, lymphocytes_missing = measurement(_("lymphocytes"), unit="×10⁹/L", maximum=500)
    pb_blasts, pb_blasts_missing = measurement(_("peripheral blasts"), unit="%", maximum=100)

    # Bone marrow.
    bm_blasts, bm_blasts_missing = measurement(_("marrow blasts"), unit="%", maximum=100)
    bm_cellularity, bm_cellularity_missing = measurement(
        _("marrow cellularity"), unit="%", maximum=100
    )
    dysgranulopoiesis = answer(_("dysgranulopoiesis"))
    dyserythropoiesis = answer(_("dyserythropoiesis"))
    dysmegakaryopoiesis = answer(_("dysmegakaryopoiesis"))
    ring_sideroblasts, ring_sideroblasts_missing = measurement(
        _("ring sideroblasts"), unit="% of erythroid", maximum=100
    )
    fibrosis_grade = coded(FibrosisGrade, _("marrow fibrosis grade"))
    auer_rods = answer(_("Auer rods"))

    # Cytogenetics.
    cytogenetics_done = answer(_("cytogenetics done"))
    karyotype_iscn = free_text(_("karyotype (ISCN)"), max_length=300)
    karyotype = coded(Karyotype, _("karyotype"))
    del5q = models.BooleanField(_("del(5q)"), default=False)
    del20q = models.BooleanField(_("del(20q)"), default=False)
    minus_y = models.BooleanField(_("−Y"), default=False)
    del11q = models.BooleanField(_("del(11q)"), default=False)
    del12p = models.BooleanField(_("del(12p)"), default=False)
    minus_7 = models.BooleanField(_("−7"), default=False)
    del7q = models.BooleanField(_("del(7q)"), default=False)
    plus_8 = models.BooleanField(_("+8"), default=False)
    plus_19 = models.BooleanField(_("+19"), default=False)
    i17q = models.BooleanField(_("i(17q)"), default=False)
    abn3q = models.BooleanField(_("inv(3)/t(3q)/del(3q)"), default=False)
    del9q = models.BooleanField(_("del(9q)"), default=False)
    other = models.BooleanField(_("other abnormality"), default=False)
    other_detail = free_text(_("other abnormality, details"), max_length=200)
    abnormality_count = models.PositiveSmallIntegerField(
        _("number of abnormalities"), null=True, blank=True
    )
    cytogenetic_risk_override = coded(
        CytogeneticRisk, "IPSS-R cytogenetic group, override", missing=False
    )
    cytogenetic_risk_override_reason = export_as(
        free_text(_("override justification")), "cyto_override_reason"
    )

    transfusion_burden = coded(TransfusionBurden, _("transfusion burden at diagnosis"))
    therapy_related = answer(_("therapy-related (prior cytotoxic, radiotherapy, HMA)"))
    therapy_related_detail = free_text(_("therapy-related, details"))
    uba1_tested = answer(_("UBA1 tested"))
    uba1_result = coded(Uba1Result, _("UBA1 result"))
    vexas_documented = answer(_("VEXAS documented"))

    # Derived on save (crf.services), with the rule versions.
    cytogenetic_risk = computed(CytogeneticRisk, _("IPSS-R cytogenetic group"))
    ipssr_score = models.FloatField(_("IPSS-R"), null=True, blank=True, editable=False)
    ipssr_category = computed(IpssrCategory, _("IPSS-R category"))
    ipssr_lower_risk = models.BooleanField(
        _("lower-risk (IPSS-R ≤ 3.5)"), null=True, editable=False
    )
    ipssra_score = models.FloatField(_("IPSS-RA"), null=True, blank=True, editable=False)
    who2022_computed = computed(Who2022, _("WHO 2022, computed"))
    cmml_subtype_computed = computed(CmmlSubtype, _("CMML subtype, computed"))
    who2016_computed = computed(Who2016, _("WHO 2016, computed"))
    classification_disagrees = models.BooleanField(
        _("recorded classification disagrees with computed"), null=True, editable=False
    )
    rule_version = rule_version_field()

    class Meta:
        verbose_name_plural = _("haematological diseases")
        verbose_name = _("haematological disease")
        constraints = [
            models.CheckConstraint(
                name="haem_disease_given",
                condition=~Q(disease=""),
                violation_error_message=_("Say whether the disease is MDS or CMML."),
            ),
            required_when(
                "cytogenetic_risk_override_reason",
                ~Q(cytogenetic_risk_override=""),
                _("the cytogenetic group is overridden"),
            ),
            required_when("other_detail", Q(other=True), _("another abnormality is ticked")),
            only_when(
                "uba1_result", Q(uba1_tested="yes"), _("UBA1 was tested"), empty=Q(uba1_result="")
            ),
        ]


@crf_model(section=_("5. Haematological disease: evolution"))
class EvolutionEvent(RowOfCase):
    occurred_on = date_field(_("date"))
    new_state = coded(EvolutionState, _("new state"), missing=False)
    detail = free_text(_("details"), max_length=200)

    class Meta:
        verbose_name = _("evolution event")
        verbose_name_plural = _("evolution events")
        ordering = ["case", "occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="evolution_state_given",
                condition=~Q(new_state=""),
                violation_error_message=_("Give the new state."),
            ),
            required_when("detail", Q(new_state="other"), _("the new state is 'other'")),
        ]


@crf_model(section=_("6. Next-generation sequencing"))
class NgsTest(RowOfCase):
    required = Required(fields=("result",), when={"tissue": ~Q(result="not_done")})
    sampled_on = date_field(_("sample date"))
    tissue = coded(Tissue, _("tissue"), missing=False)
    # Internal row ids link tables; exported only under the key rules.
    skin_biopsy = classify(
        models.ForeignKey(
            "crf.SkinBiopsy",
            on_delete=models.PROTECT,
            null=True,
            blank=True,
            related_name="ngs_tests",
        ),
        QUASI_IDENTIFIER,
    )
    panel_name = free_text(_("panel"), max_length=100)
    genes_count = models.PositiveSmallIntegerField(_("number of genes"), null=True, blank=True)
    result = coded(NgsResult, _("result"))
    # Derived for skin tests: a variant shared with a blood/marrow test of the same case.
    concordance = computed(Concordance, _("clonal concordance with blood/marrow"))
    # Gene symbols written by the registry, not typed text.
    shared_genes = classify(models.CharField(max_length=200, blank=True, editable=False), CLINICAL)

    class Meta:
        verbose_name_plural = _("NGS tests")
        verbose_name = _("NGS test")
        ordering = ["case", "sampled_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="ngs_tissue_given",
                # A test recorded as not performed has no tissue to invent.
                condition=~Q(tissue="") | Q(result="not_done"),
                violation_error_message=_("Give the tissue sequenced."),
            ),
            only_when("skin_biopsy", Q(tissue="skin"), _("the tissue is skin")),
        ]


# Controlled list of myeloid genes; others are accepted as valid HGNC symbols.
MYELOID_GENES = (
    "TET2", "ASXL1", "SRSF2", "SF3B1", "U2AF1", "ZRSR2", "DNMT3A", "IDH1", "IDH2", "TP53",
    "KRAS", "NRAS", "CBL", "RUNX1", "EZH2", "BCOR", "BCORL1", "STAG2", "CEBPA", "NPM1",
    "FLT3", "JAK2", "CALR", "MPL", "SETBP1", "PHF6", "ETV6", "GATA2", "WT1", "PTPN11",
    "NF1", "UBA1", "KMT2A", "PPM1D",
)  # fmt: skip


@crf_model(section=_("6. Next-generation sequencing: variants"))
class NgsVariant(models.Model):
    case_link = "test"
    test = classify(
        models.ForeignKey(NgsTest, on_delete=models.CASCADE, related_name="variants"),
        QUASI_IDENTIFIER,
    )
    # Format-checked nomenclature (constraints below), the study's core result: not free text.
    gene = classify(models.CharField(_("gene (HGNC symbol)"), max_length=20), CLINICAL)
    hgvs_c = classify(models.CharField(_("HGVS c."), max_length=100, blank=True), CLINICAL)
    hgvs_p = classify(models.CharField(_("HGVS p."), max_length=100, blank=True), CLINICAL)
    vaf, vaf_missing = measurement(_("VAF"), unit="%", maximum=100)
    classification = coded(VariantClass, _("classification"))

    class Meta:
        verbose_name_plural = _("NGS variants")
        verbose_name = _("NGS variant")
        ordering = ["test", "gene"]
        constraints = [
            models.CheckConstraint(
                name="variant_gene_symbol",
                condition=Q(gene__regex=r"^[A-Z][A-Za-z0-9-]{0,19}$"),
                violation_error_message=_("gene must be an HGNC symbol, e.g. TET2 or C9orf72."),
            ),
            models.CheckConstraint(
                name="variant_hgvs_c_format",
                condition=Q(hgvs_c="") | Q(hgvs_c__regex=r"^c\.\S+$"),
                violation_error_message=_("HGVS c. notation starts with 'c.', e.g. c.1234C>T."),
            ),
            models.CheckConstraint(
                name="variant_hgvs_p_format",
                condition=Q(hgvs_p="") | Q(hgvs_p__regex=r"^p\.\S+$"),
                violation_error_message=_("HGVS p. notation starts with 'p.', e.g. p.Arg882His."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gene} {self.hgvs_p or self.hgvs_c}".strip()
