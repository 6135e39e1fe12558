#!/usr/bin/env bash
# install_srspark.sh SOURCE_DIR
#   Installs the image's R layer, the srspark package (one Spark session per R process, on SparkR
#   or PySpark through reticulate), from its source folder, and checks that it loads. Its only
#   dependencies (reticulate, jsonlite) come from Debian's packages installed by install_r.sh.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

source_dir=${1:?usage: install_srspark.sh SOURCE_DIR}
[ -f "$source_dir/DESCRIPTION" ] || die "no R package at $source_dir"

R CMD INSTALL --no-docs --no-multiarch --library=/usr/local/lib/R/site-library "$source_dir"
Rscript -e 'library(srspark); cat("srspark", as.character(utils::packageVersion("srspark")), "\n")'
record_version srspark "$(Rscript -e 'cat(as.character(utils::packageVersion("srspark")))')"
# SparkR ships only in Apache's tarball; the PyPI artifact has none, and srspark then uses PySpark.
if [ -f /opt/spark/R/lib/SparkR/DESCRIPTION ]; then
	record_version sparkr "$(sed -n 's/^Version: *//p' /opt/spark/R/lib/SparkR/DESCRIPTION)"
else
	record_version sparkr absent
fi
