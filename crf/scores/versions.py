"""Rule versions: stored beside each computed value so a later rule change is traceable."""

from __future__ import annotations

from decimal import Decimal
from typing import Final

IPSSR_VERSION: Final = "IPSS-R Greenberg 2012"
IPSSRA_VERSION: Final = "IPSS-RA Greenberg 2012 (ipssm-api formula)"
IPSSR_CYTOGENETICS_VERSION: Final = "IPSS-R cytogenetics Schanz 2012"
SLEDAI_VERSION: Final = "SLEDAI-2K Gladman 2002"
CLINICAL_SLEDAI_VERSION: Final = "Clinical SLEDAI (SLEDAI-2K without serology) DORIS 2021"
SLICC_VERSION: Final = "SLICC 2012 Petri"
EULAR_ACR_VERSION: Final = "EULAR/ACR 2019 Aringer"
WHO2022_VERSION: Final = "WHO 2022 Khoury (5th edition)"
WHO2016_VERSION: Final = "WHO 2016 Arber (revised 4th edition)"
LUPUS_RESPONSE_VERSION: Final = "Registry lupus response 2024 (SLEDAI-2K / clinical SLEDAI)"
TEMPORAL_RELATION_VERSION: Final = "Registry temporal relation (concomitant < 91 days)"

#: Rule version per public function name.
RULE_VERSIONS: Final[dict[str, str]] = {
    "ipssr": IPSSR_VERSION,
    "ipssr_category": IPSSR_VERSION,
    "ipssr_age_adjusted": IPSSRA_VERSION,
    "ipssr_cytogenetic_risk": IPSSR_CYTOGENETICS_VERSION,
    "sledai_2k": SLEDAI_VERSION,
    "clinical_sledai": CLINICAL_SLEDAI_VERSION,
    "slicc_2012": SLICC_VERSION,
    "eular_acr_2019": EULAR_ACR_VERSION,
    "who2022_mds_subtype": WHO2022_VERSION,
    "who2022_cmml": WHO2022_VERSION,
    "who2016_mds_subtype": WHO2016_VERSION,
    "who2016_cytopenias": WHO2016_VERSION,
    "who2016_cmml_subgroup": WHO2016_VERSION,
    "lupus_response": LUPUS_RESPONSE_VERSION,
    "temporal_relation": TEMPORAL_RELATION_VERSION,
}

Number = int | float | Decimal
Tristate = bool | None
