#!/usr/bin/env bash
# install_r.sh
#   Installs R and the CRAN packages the R layer, the bundled apps and the notebooks need, all
#   from Debian's archive (CRAN itself is not needed at build time): shiny, reticulate (the
#   PySpark bridge), DBI, dbplyr and dplyr (Spark from R), tidyr, testthat (srspark's tests),
#   IRkernel (R in JupyterLab), and what analysts expect on the first day: the tidyverse
#   (ggplot2, readr, tidyr, purrr, forcats, lubridate…) and rmarkdown. R's matrix algebra runs on
#   OpenBLAS (Debian's alternative for libblas.so.3), not the reference BLAS.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# blob, bit64, hms: the R types of Spark's BINARY, BIGINT and times (srspark); tzdata-legacy: the
# zone names R code still uses (PST8PDT, US/Eastern...), which trixie's tzdata left out.
apt_install r-base-core r-cran-shiny r-cran-reticulate r-cran-jsonlite r-cran-dbi r-cran-dbplyr \
	r-cran-dplyr r-cran-tidyr r-cran-later r-cran-testthat r-cran-irkernel \
	r-cran-tidyverse r-cran-rmarkdown r-cran-blob r-cran-bit64 r-cran-hms tzdata-legacy \
	libopenblas0-pthread
Rscript -e 'cat(R.version.string, "\n"); for (p in c("shiny", "reticulate", "DBI", "dbplyr", "dplyr", "IRkernel", "ggplot2", "readr", "rmarkdown")) library(p, character.only = TRUE)'
# crossprod() and solve() on OpenBLAS: Debian's alternatives chose it over the reference BLAS.
# shellcheck disable=SC2016 # R code, not shell
Rscript -e 'blas <- sessionInfo()$BLAS; cat("BLAS:", blas, "\n"); stopifnot(grepl("openblas", blas))'
# Plots render without a display: cairo devices.
Rscript -e 'stopifnot(capabilities("cairo"))'
record_version tidyverse "$(installed_version r-cran-tidyverse)"

# install.packages() in a session of the head: into the user's own library (made at the first
# session), from CRAN where it can be reached, and it says it is for this head only.
cat >>/etc/R/Rprofile.site <<-'EOM'

	## spark-rstudio-shiny: a library of your own for install.packages(), on the head only.
	local({
	  user <- Sys.getenv("R_LIBS_USER")
	  if (nzchar(user) && !dir.exists(user)) dir.create(user, recursive = TRUE, showWarnings = FALSE)
	  if (nzchar(user) && dir.exists(user)) .libPaths(c(user, .libPaths()))
	  options(repos = c(CRAN = "https://cloud.r-project.org"))
	  workbench <- attach(NULL, name = "srs:workbench")
	  assign("install.packages", function(...) {
	    message("Installing into your library on this head only: Spark's workers will not have it. ",
	      "For every node: srs build --apt r-cran-<name> (Debian's R packages), then srs up --image <that image>.")
	    utils::install.packages(...)
	  }, envir = workbench)
	})
EOM
record_version r "$(installed_version r-base-core)"
record_version dbplyr "$(installed_version r-cran-dbplyr)"
apt_cleanup
