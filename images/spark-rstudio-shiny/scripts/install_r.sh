#!/usr/bin/env bash
# install_r.sh
#   Installs R and the CRAN packages the bundled apps and the R Spark layer need, all from
#   Debian's archive (CRAN itself is not needed at build time).
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

apt_install r-base-core r-cran-shiny r-cran-reticulate r-cran-jsonlite
Rscript -e 'cat(R.version.string, "\n"); library(shiny); library(reticulate)'
record_version r "$(installed_version r-base-core)"
