#!/usr/bin/env bash
# install_r.sh
#   Installs R and the CRAN packages the R layer, the bundled apps and the notebooks need, all
#   from Debian's archive (CRAN itself is not needed at build time): shiny, reticulate (the
#   PySpark bridge), DBI, dbplyr and dplyr (Spark from R), tidyr, testthat (srspark's tests),
#   IRkernel (R in JupyterLab), and what analysts expect on the first day: the tidyverse
#   (ggplot2, readr, tidyr, purrr, forcats, lubridate…) and rmarkdown.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install r-base-core r-cran-shiny r-cran-reticulate r-cran-jsonlite r-cran-dbi r-cran-dbplyr \
	r-cran-dplyr r-cran-tidyr r-cran-later r-cran-testthat r-cran-irkernel \
	r-cran-tidyverse r-cran-rmarkdown
Rscript -e 'cat(R.version.string, "\n"); for (p in c("shiny", "reticulate", "DBI", "dbplyr", "dplyr", "IRkernel", "ggplot2", "readr", "rmarkdown")) library(p, character.only = TRUE)'
# Plots render without a display: cairo devices.
Rscript -e 'stopifnot(capabilities("cairo"))'
record_version tidyverse "$(installed_version r-cran-tidyverse)"
record_version r "$(installed_version r-base-core)"
record_version dbplyr "$(installed_version r-cran-dbplyr)"
apt_cleanup
