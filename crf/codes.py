"""The registry's vocabulary: every code list of the CRF, defined once.

Codes are the data-dictionary codes of crf.md: stable identifiers stored in the database,
exported, and returned by the clinical scores. This module is plain Python (no Django), so
`crf.scores` shares it with the models: a score returns a member of the same list its field
offers as choices. Members are `str`, so a member equals its code (`Who2022.MDS_LB ==
"mds_lb"`). Labels are English; `gettext_noop` marks them for the translation catalogues and
the models translate them when they build a field's choices.
"""

from __future__ import annotations

from enum import EnumType, StrEnum
from typing import Any


def gettext_noop(message: str) -> str:
    """Mark a label for translation (makemessages finds this name); translated at display."""
    return message


_ = gettext_noop


class _CodesType(EnumType):
    """Class-level views of a code list, as Django's TextChoices offers them."""

    def _members(cls) -> list[Any]:
        return list(cls.__members__.values())

    @property
    def values(cls) -> list[str]:
        return [member.value for member in cls._members()]

    @property
    def labels(cls) -> list[str]:
        return [member.label for member in cls._members()]

    @property
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls._members()]


class Codes(StrEnum, metaclass=_CodesType):
    """A code list. Each member is its code, with an English `label`."""

    label: str

    def __new__(cls, code: str, label: str = "") -> Codes:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label or code
        return member


class Missing(Codes):
    UNKNOWN = "unknown", _("Unknown")
    NOT_DONE = "not_done", _("Not done")
    NOT_APPLICABLE = "not_applicable", _("Not applicable")


class YesNo(Codes):
    YES = "yes", _("Yes")
    NO = "no", _("No")


class TestResult(Codes):
    POSITIVE = "positive", _("Positive")
    NEGATIVE = "negative", _("Negative")


class DatePrecision(Codes):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class Group(Codes):
    CASE = "case", _("Case: MDS/CMML-associated LE")
    CONTROL = "control", _("Control: idiopathic SLE")


class Status(Codes):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    IN_REVIEW = "in_review", _("In review")
    QUERIED = "queried", _("Queried")
    ANSWERED = "answered", _("Answered")
    VERIFIED = "verified", _("Verified")
    LOCKED = "locked", _("Locked")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Sex(Codes):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")


class VitalStatus(Codes):
    ALIVE = "alive", _("Alive")
    DEAD = "dead", _("Dead")
    LOST = "lost", _("Lost to follow-up")


class DeathCause(Codes):
    SEPSIS = "sepsis", _("Sepsis")
    HAEMATOLOGICAL_PROGRESSION = "haematological_progression", _("Haematological progression")
    BLEEDING = "bleeding", _("Bleeding")
    CARDIAC = "cardiac", _("Cardiac")
    OTHER = "other", _("Other")


class TemporalRelation(Codes):
    LE_BEFORE = "le_before", _("LE before MDS/CMML")
    CONCOMITANT = "concomitant", _("Concomitant (< 3 months apart)")
    LE_AFTER = "le_after", _("LE after MDS/CMML")


class LeType(Codes):
    SLE = "sle", _("Systemic lupus erythematosus")
    ISOLATED_CLE = "isolated_cle", _("Isolated cutaneous lupus")


class Articular(Codes):
    NONE = "none", _("None")
    ARTHRALGIA = "arthralgia", _("Inflammatory arthralgia")
    ARTHRITIS = "arthritis", _("Arthritis / synovitis")


class NephritisClass(Codes):
    I = "I", _("Class I")  # noqa: E741
    II = "II", _("Class II")
    III = "III", _("Class III")
    IV = "IV", _("Class IV")
    V = "V", _("Class V")
    VI = "VI", _("Class VI")


class Classification(Codes):
    MET = "met", _("Met")
    NOT_MET = "not_met", _("Not met")
    UNDETERMINED = "undetermined", _("Undetermined (unknown items could change it)")


class SledaiContext(Codes):
    LE_DIAGNOSIS = "le_diagnosis", _("At LE diagnosis")
    RESPONSE = "response", _("Response assessment")
    FOLLOW_UP = "follow_up", _("Follow-up")


class CleSubtype(Codes):
    ACLE_LOCALIZED = "acle_localized", _("ACLE, localized (malar)")
    ACLE_GENERALIZED = "acle_generalized", _("ACLE, generalized")
    SCLE_ANNULAR = "scle_annular", _("SCLE, annular")
    SCLE_PAPULOSQUAMOUS = "scle_papulosquamous", _("SCLE, papulosquamous")
    DLE_LOCALIZED = "dle_localized", _("DLE, localized")
    DLE_GENERALIZED = "dle_generalized", _("DLE, generalized")
    HYPERTROPHIC_DLE = "hypertrophic_dle", _("Hypertrophic / verrucous DLE")
    LUPUS_PROFUNDUS = "lupus_profundus", _("Lupus profundus / panniculitis")
    MUCOSAL_DLE = "mucosal_dle", _("Mucosal DLE")
    TUMID = "tumid", _("LE tumidus")
    CHILBLAIN = "chilblain", _("Chilblain LE")
    DLE_LICHEN_PLANUS_OVERLAP = "dle_lichen_planus_overlap", _("DLE / lichen planus overlap")
    LE_NONSPECIFIC = "le_nonspecific", _("LE-non-specific lesion (name it)")


class AnaPattern(Codes):
    HOMOGENEOUS = "homogeneous", _("Homogeneous")
    SPECKLED = "speckled", _("Speckled")
    NUCLEOLAR = "nucleolar", _("Nucleolar")
    CENTROMERE = "centromere", _("Centromere")
    OTHER = "other", _("Other")


class DsDnaMethod(Codes):
    ELISA = "elisa", _("ELISA")
    FARR = "farr", _("Farr")
    CLIFT = "clift", _("CLIFT")
    OTHER = "other", _("Other")


class Isotype(Codes):
    IGG = "igg", _("IgG")
    IGM = "igm", _("IgM")
    IGA = "iga", _("IgA")


class TitreLevel(Codes):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class Disease(Codes):
    MDS = "mds", _("MDS")
    CMML = "cmml", _("CMML")


class Who2022(Codes):
    MDS_5Q = "mds_5q", _("MDS-5q")
    MDS_SF3B1 = "mds_sf3b1", _("MDS-SF3B1")
    MDS_BITP53 = "mds_bitp53", _("MDS-biTP53")
    MDS_LB = "mds_lb", _("MDS-LB")
    MDS_H = "mds_h", _("MDS-h")
    MDS_IB1 = "mds_ib1", _("MDS-IB1")
    MDS_IB2 = "mds_ib2", _("MDS-IB2")
    MDS_F = "mds_f", _("MDS-f")
    CMML_1 = "cmml_1", _("CMML-1")
    CMML_2 = "cmml_2", _("CMML-2")
    # Computed only: at diagnosis this section records MDS/CMML, and AML is an evolution.
    AML = "aml", _("AML (≥ 20% blasts)")


class CmmlSubtype(Codes):
    MD_CMML = "md_cmml", _("MD-CMML (WBC < 13)")
    MP_CMML = "mp_cmml", _("MP-CMML (WBC ≥ 13)")


class Who2016(Codes):
    MDS_SLD = "mds_sld", _("MDS-SLD")
    MDS_MLD = "mds_mld", _("MDS-MLD")
    MDS_RS_SLD = "mds_rs_sld", _("MDS-RS-SLD")
    MDS_RS_MLD = "mds_rs_mld", _("MDS-RS-MLD")
    MDS_DEL5Q = "mds_del5q", _("MDS with isolated del(5q)")
    MDS_EB1 = "mds_eb1", _("MDS-EB-1")
    MDS_EB2 = "mds_eb2", _("MDS-EB-2")
    MDS_U = "mds_u", _("MDS-U")
    CMML_0 = "cmml_0", _("CMML-0")
    CMML_1 = "cmml_1", _("CMML-1")
    CMML_2 = "cmml_2", _("CMML-2")
    AML = "aml", _("AML")


class CytogeneticRisk(Codes):
    VERY_GOOD = "very_good", _("Very good")
    GOOD = "good", _("Good")
    INTERMEDIATE = "intermediate", _("Intermediate")
    POOR = "poor", _("Poor")
    VERY_POOR = "very_poor", _("Very poor")


class IpssrCategory(Codes):
    VERY_LOW = "very_low", _("Very low")
    LOW = "low", _("Low")
    INTERMEDIATE = "intermediate", _("Intermediate")
    HIGH = "high", _("High")
    VERY_HIGH = "very_high", _("Very high")


class Karyotype(Codes):
    NORMAL = "normal", _("Normal")
    ABNORMAL = "abnormal", _("Abnormal")


class FibrosisGrade(Codes):
    MF0 = "mf0", _("MF-0")
    MF1 = "mf1", _("MF-1")
    MF2 = "mf2", _("MF-2")
    MF3 = "mf3", _("MF-3")


class TransfusionBurden(Codes):
    NTD = "ntd", _("Not transfusion-dependent")
    LTB = "ltb", _("Low transfusion burden")
    HTB = "htb", _("High transfusion burden")


class Uba1Result(Codes):
    MUTATED = "mutated", _("Mutated")
    WILD_TYPE = "wild_type", _("Wild type")


class EvolutionState(Codes):
    MDS_IB1 = "mds_ib1", _("MDS-IB1")
    MDS_IB2 = "mds_ib2", _("MDS-IB2")
    CMML_1 = "cmml_1", _("CMML-1")
    CMML_2 = "cmml_2", _("CMML-2")
    AML = "aml", _("AML")
    OTHER = "other", _("Other")


class Tissue(Codes):
    PERIPHERAL_BLOOD = "peripheral_blood", _("Peripheral blood")
    BONE_MARROW = "bone_marrow", _("Bone marrow")
    SKIN = "skin", _("Skin")


class NgsResult(Codes):
    NO_VARIANT = "no_variant", _("No variant")
    VARIANTS = "variants", _("Variant(s) found")


class Concordance(Codes):
    CONCORDANT = "concordant", _("Same variant in blood/marrow and skin")
    DISCORDANT = "discordant", _("No shared variant")
    NOT_EVALUABLE = "not_evaluable", _("No blood/marrow test to compare")


class VariantClass(Codes):
    PATHOGENIC = "pathogenic", _("Pathogenic")
    LIKELY_PATHOGENIC = "likely_pathogenic", _("Likely pathogenic")
    VUS = "vus", _("Variant of uncertain significance")


class SkinSite(Codes):
    FACE = "face", _("Face")
    EARS = "ears", _("Ears")
    SCALP = "scalp", _("Scalp")
    FINGERS = "fingers", _("Fingers")
    TOES = "toes", _("Toes")
    HANDS = "hands", _("Hands")
    TRUNK = "trunk", _("Trunk")
    LIMBS = "limbs", _("Limbs")
    MUCOSA = "mucosa", _("Mucosa")


class SkinDiagnosis(Codes):
    CLE = "cle", _("Cutaneous lupus")
    MDS_CMML_CUTIS = "mds_cmml_cutis", _("MDS/CMML cutis")
    KLIP = "klip", _("Kikuchi-like inflammatory pattern (KLIP)")
    PDC_DERMATOSIS = "pdc_dermatosis", _("Plasmacytoid dendritic cell dermatosis")
    OTHER = "other", _("Other")


class Ihc(Codes):
    POSITIVE = "positive", _("Positive")
    FEW = "few", _("Few cells")
    NEGATIVE = "negative", _("Negative")


class Agent(Codes):
    HYDROXYCHLOROQUINE = "hydroxychloroquine", _("Hydroxychloroquine")
    ORAL_CORTICOSTEROIDS = "oral_corticosteroids", _("Oral corticosteroids")
    IV_METHYLPREDNISOLONE = "iv_methylprednisolone", _("IV methylprednisolone")
    TOPICAL_CORTICOSTEROIDS = "topical_corticosteroids", _("Topical corticosteroids")
    TOPICAL_TACROLIMUS = "topical_tacrolimus", _("Topical tacrolimus")
    METHOTREXATE = "methotrexate", _("Methotrexate")
    AZATHIOPRINE = "azathioprine", _("Azathioprine")
    MYCOPHENOLATE = "mycophenolate", _("Mycophenolate")
    RITUXIMAB = "rituximab", _("Rituximab")
    BELIMUMAB = "belimumab", _("Belimumab")
    ANIFROLUMAB = "anifrolumab", _("Anifrolumab")
    THALIDOMIDE = "thalidomide", _("Thalidomide")
    LENALIDOMIDE = "lenalidomide", _("Lenalidomide")
    AZACITIDINE = "azacitidine", _("Azacitidine")
    DECITABINE = "decitabine", _("Decitabine")
    VENETOCLAX = "venetoclax", _("Venetoclax")
    ALLO_HSCT = "allo_hsct", _("Allogeneic HSCT")
    ESA = "esa", _("Erythropoiesis-stimulating agent")
    LUSPATERCEPT = "luspatercept", _("Luspatercept")
    OTHER = "other", _("Other")


class Target(Codes):
    LUPUS = "lupus", _("Lupus")
    HAEMATOLOGICAL = "haematological", _("Haematological disease")
    BOTH = "both", _("Both")


class Route(Codes):
    TOPICAL = "topical", _("Topical")
    SYSTEMIC = "systemic", _("Systemic")


class DoseUnit(Codes):
    MG_KG_DAY = "mg_kg_day", _("mg/kg/day")
    MG_DAY = "mg_day", _("mg/day")
    MG_M2_DAY = "mg_m2_day", _("mg/m²/day")


class ReasonStopped(Codes):
    ONGOING = "ongoing", _("Ongoing")
    REMISSION = "remission", _("Remission / planned end")
    INEFFICACY = "inefficacy", _("Inefficacy")
    ADVERSE_EVENT = "adverse_event", _("Adverse event")
    DEATH = "death", _("Death")
    OTHER = "other", _("Other")


class Regimen(Codes):
    """Treatment strategies as the study compares them (Figure 3, Table 2)."""

    HCQ_ALONE = "hcq_alone", _("HCQ alone")
    HCQ_OCS = "hcq_ocs", _("HCQ + oral corticosteroids")
    RITUXIMAB = "rituximab", _("Rituximab")
    METHOTREXATE = "methotrexate", _("Methotrexate")
    AZATHIOPRINE = "azathioprine", _("Azathioprine")
    BELIMUMAB = "belimumab", _("Belimumab")
    LENALIDOMIDE = "lenalidomide", _("Lenalidomide")
    TOPICAL_CORTICOSTEROIDS = "topical_corticosteroids", _("Topical corticosteroids")
    TOPICAL_TACROLIMUS = "topical_tacrolimus", _("Topical tacrolimus")
    AZACITIDINE = "azacitidine", _("Azacitidine")
    AZA_VENETOCLAX = "aza_venetoclax", _("Azacitidine + venetoclax")
    ALLO_HSCT = "allo_hsct", _("Allogeneic HSCT")
    OTHER = "other", _("Other")


class LupusResponseCategory(Codes):
    COMPLETE_RESPONSE = "complete_response", _("Complete response (SLEDAI-2K = 0)")
    CLINICAL_RESPONSE = "clinical_response", _("Clinical response (clinical SLEDAI = 0)")
    NO_RESPONSE = "no_response", _("No response")


class IwgVersion(Codes):
    IWG_2006 = "iwg_2006", _("IWG 2006")
    IWG_2018 = "iwg_2018", _("IWG 2018")
    IWG_2023 = "iwg_2023", _("IWG 2023")


class HaemResponseCategory(Codes):
    COMPLETE_RESPONSE = "complete_response", _("Complete response")
    PARTIAL_RESPONSE = "partial_response", _("Partial response")
    MARROW_CR = "marrow_cr", _("Marrow CR")
    HI_E = "hi_e", _("Haematological improvement, erythroid")
    HI_P = "hi_p", _("Haematological improvement, platelets")
    HI_N = "hi_n", _("Haematological improvement, neutrophils")
    STABLE_DISEASE = "stable_disease", _("Stable disease")
    PROGRESSION = "progression", _("Progression")
    RELAPSE = "relapse", _("Relapse")


class AdverseEventCategory(Codes):
    INFECTION = "infection", _("Infection")
    HAEMATOLOGICAL = "haematological", _("Haematological")
    BLEEDING = "bleeding", _("Bleeding")
    CARDIOVASCULAR = "cardiovascular", _("Cardiovascular")
    THROMBOSIS = "thrombosis", _("Thrombosis")
    OTHER = "other", _("Other")


# ---- score items: the models' field names are these codes (a test keeps them aligned) ----


class SledaiItem(Codes):
    """SLEDAI-2K descriptors (Gladman 2002)."""

    SEIZURE = "seizure"
    PSYCHOSIS = "psychosis"
    ORGANIC_BRAIN_SYNDROME = "organic_brain_syndrome"
    VISUAL_DISTURBANCE = "visual_disturbance"
    CRANIAL_NERVE_DISORDER = "cranial_nerve_disorder"
    LUPUS_HEADACHE = "lupus_headache"
    CVA = "cva"
    VASCULITIS = "vasculitis"
    ARTHRITIS = "arthritis"
    MYOSITIS = "myositis"
    URINARY_CASTS = "urinary_casts"
    HAEMATURIA = "haematuria"
    PROTEINURIA = "proteinuria"
    PYURIA = "pyuria"
    RASH = "rash"
    ALOPECIA = "alopecia"
    MUCOSAL_ULCERS = "mucosal_ulcers"
    PLEURISY = "pleurisy"
    PERICARDITIS = "pericarditis"
    LOW_COMPLEMENT = "low_complement"
    INCREASED_DNA_BINDING = "increased_dna_binding"
    FEVER = "fever"
    THROMBOCYTOPENIA = "thrombocytopenia"
    LEUKOPENIA = "leukopenia"


class SliccClinical(Codes):
    """SLICC 2012 clinical criteria."""

    ACUTE_OR_SUBACUTE_CLE = "acute_or_subacute_cle"
    CHRONIC_CLE = "chronic_cle"
    ORAL_NASAL_ULCERS = "oral_nasal_ulcers"
    NONSCARRING_ALOPECIA = "nonscarring_alopecia"
    SYNOVITIS = "synovitis"
    SEROSITIS = "serositis"
    RENAL = "renal"
    NEUROLOGIC = "neurologic"
    HAEMOLYTIC_ANAEMIA = "haemolytic_anaemia"
    LEUKOPENIA_OR_LYMPHOPENIA = "leukopenia_or_lymphopenia"
    THROMBOCYTOPENIA = "thrombocytopenia"


class SliccImmunological(Codes):
    """SLICC 2012 immunological criteria."""

    ANA = "ana"
    ANTI_DSDNA = "anti_dsdna"
    ANTI_SM = "anti_sm"
    ANTIPHOSPHOLIPID = "antiphospholipid"
    LOW_COMPLEMENT = "low_complement"
    DIRECT_COOMBS = "direct_coombs"


class EularAcrItem(Codes):
    """2019 EULAR/ACR additive criteria."""

    FEVER = "fever"
    LEUKOPENIA = "leukopenia"
    THROMBOCYTOPENIA = "thrombocytopenia"
    AUTOIMMUNE_HAEMOLYSIS = "autoimmune_haemolysis"
    DELIRIUM = "delirium"
    PSYCHOSIS = "psychosis"
    SEIZURE = "seizure"
    NONSCARRING_ALOPECIA = "nonscarring_alopecia"
    ORAL_ULCERS = "oral_ulcers"
    SUBACUTE_OR_DISCOID_CLE = "subacute_or_discoid_cle"
    ACUTE_CLE = "acute_cle"
    PLEURAL_OR_PERICARDIAL_EFFUSION = "pleural_or_pericardial_effusion"
    ACUTE_PERICARDITIS = "acute_pericarditis"
    JOINT_INVOLVEMENT = "joint_involvement"
    PROTEINURIA = "proteinuria"
    CLASS_II_OR_V_NEPHRITIS = "class_ii_or_v_nephritis"
    CLASS_III_OR_IV_NEPHRITIS = "class_iii_or_iv_nephritis"
    ANTIPHOSPHOLIPID = "antiphospholipid"
    LOW_C3_OR_C4 = "low_c3_or_c4"
    LOW_C3_AND_C4 = "low_c3_and_c4"
    ANTI_DSDNA_OR_ANTI_SM = "anti_dsdna_or_anti_sm"


class CytogeneticAbnormality(Codes):
    """The IPSS-R cytogenetic checklist (crf.md section 5), stored as booleans of these names."""

    DEL5Q = "del5q", _("del(5q)")
    DEL20Q = "del20q", _("del(20q)")
    MINUS_Y = "minus_y", _("−Y")
    DEL11Q = "del11q", _("del(11q)")
    DEL12P = "del12p", _("del(12p)")
    MINUS_7 = "minus_7", _("−7")
    DEL7Q = "del7q", _("del(7q)")
    PLUS_8 = "plus_8", _("+8")
    PLUS_19 = "plus_19", _("+19")
    I17Q = "i17q", _("i(17q)")
    ABN3Q = "abn3q", _("inv(3)/t(3q)/del(3q)")
    DEL9Q = "del9q", _("del(9q)")
    OTHER = "other", _("other abnormality")
