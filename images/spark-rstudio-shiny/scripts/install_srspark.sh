#!/usr/bin/env bash
# install_srspark.sh SOURCE_DIR
#   Installs the image's R layer, the srspark package (DBI + dplyr on Spark, models, one Spark
#   session per R process, on SparkR or PySpark through reticulate), from its source folder,
#   and checks that it loads. Its R dependencies come from Debian's packages (install_r.sh);
#   its JVM half is the srspark-jvm.jar the build put into $SPARK_HOME/jars.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

source_dir=${1:?usage: install_srspark.sh SOURCE_DIR}
[ -f "$source_dir/DESCRIPTION" ] || die "no R package at $source_dir"
[ -f "${SPARK_HOME:-/opt/spark}/jars/srspark-jvm.jar" ] || die "srspark-jvm.jar is not in ${SPARK_HOME:-/opt/spark}/jars"

# With its help pages (?srs_glm) and its tests (tests/testthat, run on the cluster by
# $(R_HOME)/library/srspark/scripts/run-tests.R).
R CMD INSTALL --install-tests --no-multiarch --library=/usr/local/lib/R/site-library "$source_dir"
[ -d /usr/local/lib/R/site-library/srspark/tests/testthat ] || die "srspark's tests were not installed"
Rscript -e 'library(srspark); cat("srspark", as.character(utils::packageVersion("srspark")), "\n")'
record_version srspark "$(Rscript -e 'cat(as.character(utils::packageVersion("srspark")))')"
# SparkR ships only in Apache's tarball; the PyPI artifact has none, and srspark then uses PySpark.
if [ -f /opt/spark/R/lib/SparkR/DESCRIPTION ]; then
	record_version sparkr "$(sed -n 's/^Version: *//p' /opt/spark/R/lib/SparkR/DESCRIPTION)"
else
	record_version sparkr absent
fi
