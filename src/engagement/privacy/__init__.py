"""What a partner may see, and the check that a page shows nothing more.

Two audiences (DESIGN.md, "Reports and audiences"):

- ``researcher``: internal; tables shown as computed (identifier columns are still refused,
  because no report table needs one).
- ``partner``: what leaves the organisation; no learner identity, no group smaller than the
  minimum size, organisations other than the reader's own shown only under anonymous labels.

The package has one job per module:

- :mod:`~engagement.privacy.tables`: disclosure control of Results and tables
  (:func:`control`, :func:`suppress_small`, anonymous organisations, the at-risk cut);
- :mod:`~engagement.privacy.scan`: the scan of finished partner pages, the safety net;
- :mod:`~engagement.privacy.harvest`: names, addresses and ids in a dataset's raw exports,
  for the scan to look for.
"""

from engagement.privacy.harvest import (RAW_EMAIL_COLUMNS, RAW_ID_COLUMNS, RAW_NAME_COLUMNS,
                                        raw_identifying_terms)
from engagement.privacy.patterns import PSEUDONYM_PATTERN
from engagement.privacy.scan import recoverable_cells, scan_html, scan_report
from engagement.schema import REST_LABEL, own_versus_rest
from engagement.privacy.tables import (AUDIENCES, IDENTIFIER_COLUMNS, MIN_GROUP_SIZE,
                                       SECONDARY_MARKER, SECONDARY_SUFFIX,
                                       SUPPRESSED_SUFFIX,
                                       anonymise_organisations, check_min_group_size, control,
                                       cut_at_risk, organisation_labels,
                                       refuse_identifiers, render_suppressed,
                                       suppress_small)

__all__ = [
    "AUDIENCES", "IDENTIFIER_COLUMNS", "MIN_GROUP_SIZE", "PSEUDONYM_PATTERN",
    "RAW_EMAIL_COLUMNS", "RAW_ID_COLUMNS", "RAW_NAME_COLUMNS", "REST_LABEL",
    "SECONDARY_MARKER", "SECONDARY_SUFFIX", "SUPPRESSED_SUFFIX",
    "anonymise_organisations", "check_min_group_size", "control", "cut_at_risk",
    "organisation_labels", "own_versus_rest", "raw_identifying_terms",
    "recoverable_cells", "refuse_identifiers", "render_suppressed", "scan_html",
    "scan_report", "suppress_small",
]
