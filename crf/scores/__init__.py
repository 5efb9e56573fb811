"""Clinical scores and classifications of the LE + MDS/CMML registry, as pure functions.

Normative spec: ``shared/reference/clinical-rules.md`` (section numbers below refer to it)
and the data-dictionary codes of ``shared/reference/crf.md``. Standard library only: no
Django, no ORM, so the rules can be unit-tested and re-run on exported raw data.

What is computed, and the source each rule follows:

- ``ipssr`` / ``ipssr_category`` / ``ipssr_age_adjusted``: IPSS-R score, category and
  lower-risk flag, IPSS-RA (spec 1.2-1.5). Greenberg et al., Blood 2012;120:2454;
  Pfeilstöcker et al., Blood 2016;128:902 (3.5 cut); papaemmelab/ipssm-api ``computeIpssr``.
- ``ipssr_cytogenetic_risk``: IPSS-R cytogenetic group from the CRF checklist (spec 1.1).
  Schanz et al., JCO 2012;30:820.
- ``sledai_2k`` / ``clinical_sledai``: SLEDAI-2K and clinical SLEDAI (spec 3, 8).
  Gladman et al., J Rheumatol 2002;29:288; DORIS 2021 for the clinical SLEDAI.
- ``slicc_2012``: SLICC 2012 SLE classification (spec 4). Petri et al., Arthritis Rheum
  2012;64:2677.
- ``eular_acr_2019``: 2019 EULAR/ACR SLE classification (spec 5). Aringer et al., Ann Rheum
  Dis 2019;78:1151.
- ``who2022_mds_subtype`` / ``who2022_cmml``: WHO 2022 MDS subtype and CMML (spec 2.1, 2.2).
  Khoury et al., Leukemia 2022;36:1703, Tables 3 and 6.
- ``who2016_mds_subtype`` / ``who2016_cytopenias`` / ``who2016_cmml_subgroup``: WHO 2016
  (spec 2.3), for retrospective data. Arber et al., Blood 2016;127:2391.
- ``lupus_response``: registry lupus response category (crf.md section 8; spec 3, 8).
- ``temporal_relation`` / ``age_in_years``: derived demographics (crf.md section 1).

Conventions: keyword-only arguments; Hb in g/dL, counts in x10^9/L, blasts, VAF, ring
sideroblasts and cellularity in %. Numeric inputs accept ``int``, ``float`` and
``decimal.Decimal`` (what a Django ``DecimalField`` returns). Invalid input raises
``ValueError`` naming the argument (or the unknown code); a wrong container type raises
``TypeError``. Three-valued results use ``None`` for "undetermined": the unknown inputs could
change the outcome. Each rule has a version constant, collected in ``RULE_VERSIONS``, that the
registry stores beside every computed value.
"""

from __future__ import annotations

from .eular_acr import (
    EULAR_ACR_CLINICAL_DOMAINS,
    EULAR_ACR_DOMAINS,
    EULAR_ACR_ENTRY_ANA_TITRE,
    EULAR_ACR_IMMUNOLOGICAL_DOMAINS,
    EULAR_ACR_MAX_POINTS,
    EULAR_ACR_THRESHOLD,
    EULAR_ACR_WEIGHTS,
    EularAcrResult,
    eular_acr_2019,
)
from .ipssr import (
    CYTOGENETIC_ABNORMALITY_CODES,
    CYTOGENETIC_RISK_POINTS,
    IPSSR_CATEGORY_BOUNDS,
    IPSSR_LOWER_RISK_MAX,
    CytogeneticRisk,
    IpssrCategory,
    IpssrResult,
    ipssr,
    ipssr_age_adjusted,
    ipssr_category,
    ipssr_cytogenetic_risk,
)
from .outcomes import (
    CONCOMITANT_MAX_DAYS,
    age_in_years,
    lupus_response,
    temporal_relation,
)
from .sledai import (
    SLEDAI_SEROLOGICAL_CODES,
    SLEDAI_WEIGHTS,
    SledaiItems,
    clinical_sledai,
    sledai_2k,
)
from .slicc import (
    SLICC_CLINICAL_CODES,
    SLICC_IMMUNOLOGICAL_CODES,
    SliccResult,
    slicc_2012,
)
from .versions import (
    CLINICAL_SLEDAI_VERSION,
    EULAR_ACR_VERSION,
    IPSSR_CYTOGENETICS_VERSION,
    IPSSR_VERSION,
    IPSSRA_VERSION,
    LUPUS_RESPONSE_VERSION,
    RULE_VERSIONS,
    SLEDAI_VERSION,
    SLICC_VERSION,
    TEMPORAL_RELATION_VERSION,
    WHO2016_VERSION,
    WHO2022_VERSION,
    Number,
    Tristate,
)
from .who import (
    AML_BLAST_THRESHOLD,
    CMML_MP_WBC_THRESHOLD,
    RING_SIDEROBLASTS_THRESHOLD,
    WHO2022_HYPOPLASTIC_MAX_CELLULARITY,
    WHO2022_SF3B1_MIN_VAF,
    CmmlResult,
    who2016_cmml_subgroup,
    who2016_cytopenias,
    who2016_mds_subtype,
    who2022_cmml,
    who2022_mds_subtype,
)

__all__ = [
    "AML_BLAST_THRESHOLD",
    "CLINICAL_SLEDAI_VERSION",
    "CMML_MP_WBC_THRESHOLD",
    "CONCOMITANT_MAX_DAYS",
    "CYTOGENETIC_ABNORMALITY_CODES",
    "CYTOGENETIC_RISK_POINTS",
    "CmmlResult",
    "CytogeneticRisk",
    "EULAR_ACR_CLINICAL_DOMAINS",
    "EULAR_ACR_DOMAINS",
    "EULAR_ACR_ENTRY_ANA_TITRE",
    "EULAR_ACR_IMMUNOLOGICAL_DOMAINS",
    "EULAR_ACR_MAX_POINTS",
    "EULAR_ACR_THRESHOLD",
    "EULAR_ACR_VERSION",
    "EULAR_ACR_WEIGHTS",
    "EularAcrResult",
    "IPSSRA_VERSION",
    "IPSSR_CATEGORY_BOUNDS",
    "IPSSR_CYTOGENETICS_VERSION",
    "IPSSR_LOWER_RISK_MAX",
    "IPSSR_VERSION",
    "IpssrCategory",
    "IpssrResult",
    "LUPUS_RESPONSE_VERSION",
    "Number",
    "RING_SIDEROBLASTS_THRESHOLD",
    "RULE_VERSIONS",
    "SLEDAI_SEROLOGICAL_CODES",
    "SLEDAI_VERSION",
    "SLEDAI_WEIGHTS",
    "SLICC_CLINICAL_CODES",
    "SLICC_IMMUNOLOGICAL_CODES",
    "SLICC_VERSION",
    "SledaiItems",
    "SliccResult",
    "TEMPORAL_RELATION_VERSION",
    "Tristate",
    "WHO2016_VERSION",
    "WHO2022_HYPOPLASTIC_MAX_CELLULARITY",
    "WHO2022_SF3B1_MIN_VAF",
    "WHO2022_VERSION",
    "age_in_years",
    "clinical_sledai",
    "eular_acr_2019",
    "ipssr",
    "ipssr_age_adjusted",
    "ipssr_category",
    "ipssr_cytogenetic_risk",
    "lupus_response",
    "sledai_2k",
    "slicc_2012",
    "temporal_relation",
    "who2016_cmml_subgroup",
    "who2016_cytopenias",
    "who2016_mds_subtype",
    "who2022_cmml",
    "who2022_mds_subtype",
]
