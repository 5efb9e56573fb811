"""Sections 5–6: the haematological disease (cases only) and next-generation sequencing."""

from django.db import models
from django.db.models import Q

from .base import RowOfCase, SectionOfCase, rule_version_field
from .fields import (
    CLINICAL,
    QUASI_IDENTIFIER,
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


class Disease(models.TextChoices):
    MDS = "mds", "MDS"
    CMML = "cmml", "CMML"


class Who2022(models.TextChoices):
    MDS_5Q = "mds_5q", "MDS-5q"
    MDS_SF3B1 = "mds_sf3b1", "MDS-SF3B1"
    MDS_BITP53 = "mds_bitp53", "MDS-biTP53"
    MDS_LB = "mds_lb", "MDS-LB"
    MDS_H = "mds_h", "MDS-h"
    MDS_IB1 = "mds_ib1", "MDS-IB1"
    MDS_IB2 = "mds_ib2", "MDS-IB2"
    MDS_F = "mds_f", "MDS-f"
    CMML_1 = "cmml_1", "CMML-1"
    CMML_2 = "cmml_2", "CMML-2"


# What the rules can compute includes AML (≥ 20% blasts), which is not MDS/CMML and so not a
# recordable classification at diagnosis (record it as an evolution event).
WHO2022_COMPUTED = [*Who2022.choices, ("aml", "AML (≥ 20% blasts)")]


class CmmlSubtype(models.TextChoices):
    MD_CMML = "md_cmml", "MD-CMML (WBC < 13)"
    MP_CMML = "mp_cmml", "MP-CMML (WBC ≥ 13)"


class Who2016(models.TextChoices):
    MDS_SLD = "mds_sld", "MDS-SLD"
    MDS_MLD = "mds_mld", "MDS-MLD"
    MDS_RS_SLD = "mds_rs_sld", "MDS-RS-SLD"
    MDS_RS_MLD = "mds_rs_mld", "MDS-RS-MLD"
    MDS_DEL5Q = "mds_del5q", "MDS with isolated del(5q)"
    MDS_EB1 = "mds_eb1", "MDS-EB-1"
    MDS_EB2 = "mds_eb2", "MDS-EB-2"
    MDS_U = "mds_u", "MDS-U"
    CMML_0 = "cmml_0", "CMML-0"
    CMML_1 = "cmml_1", "CMML-1"
    CMML_2 = "cmml_2", "CMML-2"
    AML = "aml", "AML"


class CytogeneticRisk(models.TextChoices):
    VERY_GOOD = "very_good", "Very good"
    GOOD = "good", "Good"
    INTERMEDIATE = "intermediate", "Intermediate"
    POOR = "poor", "Poor"
    VERY_POOR = "very_poor", "Very poor"


class IpssrCategory(models.TextChoices):
    VERY_LOW = "very_low", "Very low"
    LOW = "low", "Low"
    INTERMEDIATE = "intermediate", "Intermediate"
    HIGH = "high", "High"
    VERY_HIGH = "very_high", "Very high"


class Karyotype(models.TextChoices):
    NORMAL = "normal", "Normal"
    ABNORMAL = "abnormal", "Abnormal"


class FibrosisGrade(models.TextChoices):
    MF0 = "mf0", "MF-0"
    MF1 = "mf1", "MF-1"
    MF2 = "mf2", "MF-2"
    MF3 = "mf3", "MF-3"


class TransfusionBurden(models.TextChoices):
    NTD = "ntd", "Not transfusion-dependent"
    LTB = "ltb", "Low transfusion burden"
    HTB = "htb", "High transfusion burden"


class Uba1Result(models.TextChoices):
    MUTATED = "mutated", "Mutated"
    WILD_TYPE = "wild_type", "Wild type"


# IPSS-R cytogenetic checklist codes (crf.md section 5), stored as booleans of the same name.
CYTOGENETIC_ABNORMALITIES = (
    "del5q", "del20q", "minus_y", "del11q", "del12p", "minus_7", "del7q",
    "plus_8", "plus_19", "i17q", "abn3q", "del9q", "other",
)  # fmt: skip


@crf_model(section="5. Haematological disease")
class HaematologicalDisease(SectionOfCase):
    disease = coded(Disease, "disease", missing=False)
    diagnosis_date = date_field("date of MDS/CMML diagnosis")
    who2022_recorded = coded(Who2022, "WHO 2022, as recorded")
    cmml_subtype_recorded = coded(CmmlSubtype, "CMML subtype, as recorded")
    who2016_recorded = coded(Who2016, "WHO 2016, as recorded")
    icc2022_recorded = free_text("ICC 2022, as recorded", max_length=100)

    # Blood counts at diagnosis.
    hb, hb_missing = measurement("haemoglobin", unit="g/dL", maximum=25)
    mcv, mcv_missing = measurement("MCV", unit="fL", minimum=40, maximum=150)
    platelets, platelets_missing = measurement("platelets", unit="×10⁹/L", maximum=3000)
    anc, anc_missing = measurement("neutrophils (ANC)", unit="×10⁹/L", maximum=100)
    wbc, wbc_missing = measurement("white blood cells", unit="×10⁹/L", maximum=500)
    monocytes, monocytes_missing = measurement("monocytes", unit="×10⁹/L", maximum=200)
    monocytes_pct, monocytes_pct_missing = measurement("monocytes", unit="% of WBC", maximum=100)
    lymphocytes, lymphocytes_missing = measurement("lymphocytes", unit="×10⁹/L", maximum=500)
    pb_blasts, pb_blasts_missing = measurement("peripheral blasts", unit="%", maximum=100)

    # Bone marrow.
    bm_blasts, bm_blasts_missing = measurement("marrow blasts", unit="%", maximum=100)
    bm_cellularity, bm_cellularity_missing = measurement(
        "marrow cellularity", unit="%", maximum=100
    )
    dysgranulopoiesis = answer("dysgranulopoiesis")
    dyserythropoiesis = answer("dyserythropoiesis")
    dysmegakaryopoiesis = answer("dysmegakaryopoiesis")
    ring_sideroblasts, ring_sideroblasts_missing = measurement(
        "ring sideroblasts", unit="% of erythroid", maximum=100
    )
    fibrosis_grade = coded(FibrosisGrade, "marrow fibrosis grade")
    auer_rods = answer("Auer rods")

    # Cytogenetics.
    cytogenetics_done = answer("cytogenetics done")
    karyotype_iscn = free_text("karyotype (ISCN)", max_length=300)
    karyotype = coded(Karyotype, "karyotype")
    del5q = models.BooleanField("del(5q)", default=False)
    del20q = models.BooleanField("del(20q)", default=False)
    minus_y = models.BooleanField("−Y", default=False)
    del11q = models.BooleanField("del(11q)", default=False)
    del12p = models.BooleanField("del(12p)", default=False)
    minus_7 = models.BooleanField("−7", default=False)
    del7q = models.BooleanField("del(7q)", default=False)
    plus_8 = models.BooleanField("+8", default=False)
    plus_19 = models.BooleanField("+19", default=False)
    i17q = models.BooleanField("i(17q)", default=False)
    abn3q = models.BooleanField("inv(3)/t(3q)/del(3q)", default=False)
    del9q = models.BooleanField("del(9q)", default=False)
    other = models.BooleanField("other abnormality", default=False)
    other_detail = free_text("other abnormality, details", max_length=200)
    abnormality_count = models.PositiveSmallIntegerField(
        "number of abnormalities", null=True, blank=True
    )
    cytogenetic_risk_override = coded(
        CytogeneticRisk, "IPSS-R cytogenetic group, override", missing=False
    )
    cytogenetic_risk_override_reason = export_as(
        free_text("override justification"), "cyto_override_reason"
    )

    transfusion_burden = coded(TransfusionBurden, "transfusion burden at diagnosis")
    therapy_related = answer("therapy-related (prior cytotoxic, radiotherapy, HMA)")
    therapy_related_detail = free_text("therapy-related, details")
    uba1_tested = answer("UBA1 tested")
    uba1_result = coded(Uba1Result, "UBA1 result")
    vexas_documented = answer("VEXAS documented")

    # Derived on save (crf.services), with the rule versions.
    cytogenetic_risk = computed(CytogeneticRisk, "IPSS-R cytogenetic group")
    ipssr_score = models.FloatField("IPSS-R", null=True, blank=True, editable=False)
    ipssr_category = computed(IpssrCategory, "IPSS-R category")
    ipssr_lower_risk = models.BooleanField("lower-risk (IPSS-R ≤ 3.5)", null=True, editable=False)
    ipssra_score = models.FloatField("IPSS-RA", null=True, blank=True, editable=False)
    who2022_computed = computed(WHO2022_COMPUTED, "WHO 2022, computed")
    cmml_subtype_computed = computed(CmmlSubtype, "CMML subtype, computed")
    who2016_computed = computed(Who2016, "WHO 2016, computed")
    classification_disagrees = models.BooleanField(
        "recorded classification disagrees with computed", null=True, editable=False
    )
    rule_version = rule_version_field()

    class Meta:
        verbose_name = "haematological disease"
        constraints = [
            models.CheckConstraint(
                name="haem_disease_given",
                condition=~Q(disease=""),
                violation_error_message="Say whether the disease is MDS or CMML.",
            ),
            required_when(
                "cytogenetic_risk_override_reason",
                ~Q(cytogenetic_risk_override=""),
                "the cytogenetic group is overridden",
            ),
            required_when("other_detail", Q(other=True), "another abnormality is ticked"),
            only_when(
                "uba1_result", Q(uba1_tested="yes"), "UBA1 was tested", empty=Q(uba1_result="")
            ),
        ]


class EvolutionState(models.TextChoices):
    MDS_IB1 = "mds_ib1", "MDS-IB1"
    MDS_IB2 = "mds_ib2", "MDS-IB2"
    CMML_1 = "cmml_1", "CMML-1"
    CMML_2 = "cmml_2", "CMML-2"
    AML = "aml", "AML"
    OTHER = "other", "Other"


@crf_model(section="5. Haematological disease: evolution")
class EvolutionEvent(RowOfCase):
    occurred_on = date_field("date")
    new_state = coded(EvolutionState, "new state", missing=False)
    detail = free_text("details", max_length=200)

    class Meta:
        ordering = ["case", "occurred_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="evolution_state_given",
                condition=~Q(new_state=""),
                violation_error_message="Give the new state.",
            ),
            required_when("detail", Q(new_state="other"), "the new state is 'other'"),
        ]


class Tissue(models.TextChoices):
    PERIPHERAL_BLOOD = "peripheral_blood", "Peripheral blood"
    BONE_MARROW = "bone_marrow", "Bone marrow"
    SKIN = "skin", "Skin"


class NgsResult(models.TextChoices):
    NO_VARIANT = "no_variant", "No variant"
    VARIANTS = "variants", "Variant(s) found"


class Concordance(models.TextChoices):
    CONCORDANT = "concordant", "Same variant in blood/marrow and skin"
    DISCORDANT = "discordant", "No shared variant"
    NOT_EVALUABLE = "not_evaluable", "No blood/marrow test to compare"


@crf_model(section="6. Next-generation sequencing")
class NgsTest(RowOfCase):
    sampled_on = date_field("sample date")
    tissue = coded(Tissue, "tissue", missing=False)
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
    panel_name = free_text("panel", max_length=100)
    genes_count = models.PositiveSmallIntegerField("number of genes", null=True, blank=True)
    result = coded(NgsResult, "result")
    # Derived for skin tests: a variant shared with a blood/marrow test of the same case.
    concordance = computed(Concordance, "clonal concordance with blood/marrow")
    # Gene symbols written by the registry, not typed text.
    shared_genes = classify(models.CharField(max_length=200, blank=True, editable=False), CLINICAL)

    class Meta:
        verbose_name = "NGS test"
        ordering = ["case", "sampled_on", "pk"]
        constraints = [
            models.CheckConstraint(
                name="ngs_tissue_given",
                condition=~Q(tissue=""),
                violation_error_message="Give the tissue sequenced.",
            ),
            only_when("skin_biopsy", Q(tissue="skin"), "the tissue is skin"),
        ]


# Controlled list of myeloid genes; others are accepted as valid HGNC symbols.
MYELOID_GENES = (
    "TET2", "ASXL1", "SRSF2", "SF3B1", "U2AF1", "ZRSR2", "DNMT3A", "IDH1", "IDH2", "TP53",
    "KRAS", "NRAS", "CBL", "RUNX1", "EZH2", "BCOR", "BCORL1", "STAG2", "CEBPA", "NPM1",
    "FLT3", "JAK2", "CALR", "MPL", "SETBP1", "PHF6", "ETV6", "GATA2", "WT1", "PTPN11",
    "NF1", "UBA1", "KMT2A", "PPM1D",
)  # fmt: skip


class VariantClass(models.TextChoices):
    PATHOGENIC = "pathogenic", "Pathogenic"
    LIKELY_PATHOGENIC = "likely_pathogenic", "Likely pathogenic"
    VUS = "vus", "Variant of uncertain significance"


@crf_model(section="6. Next-generation sequencing: variants")
class NgsVariant(models.Model):
    case_link = "test"
    test = classify(
        models.ForeignKey(NgsTest, on_delete=models.CASCADE, related_name="variants"),
        QUASI_IDENTIFIER,
    )
    # Format-checked nomenclature (constraints below), the study's core result: not free text.
    gene = classify(models.CharField("gene (HGNC symbol)", max_length=20), CLINICAL)
    hgvs_c = classify(models.CharField("HGVS c.", max_length=100, blank=True), CLINICAL)
    hgvs_p = classify(models.CharField("HGVS p.", max_length=100, blank=True), CLINICAL)
    vaf, vaf_missing = measurement("VAF", unit="%", maximum=100)
    classification = coded(VariantClass, "classification")

    class Meta:
        verbose_name = "NGS variant"
        ordering = ["test", "gene"]
        constraints = [
            models.CheckConstraint(
                name="variant_gene_symbol",
                condition=Q(gene__regex=r"^[A-Z][A-Za-z0-9-]{0,19}$"),
                violation_error_message="gene must be an HGNC symbol, e.g. TET2 or C9orf72.",
            ),
            models.CheckConstraint(
                name="variant_hgvs_c_format",
                condition=Q(hgvs_c="") | Q(hgvs_c__regex=r"^c\.\S+$"),
                violation_error_message="HGVS c. notation starts with 'c.', e.g. c.1234C>T.",
            ),
            models.CheckConstraint(
                name="variant_hgvs_p_format",
                condition=Q(hgvs_p="") | Q(hgvs_p__regex=r"^p\.\S+$"),
                violation_error_message="HGVS p. notation starts with 'p.', e.g. p.Arg882His.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.gene} {self.hgvs_p or self.hgvs_c}".strip()
