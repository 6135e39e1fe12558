# Runs srspark's tests against the live cluster and prints TAP (one line per expectation block),
# on the bridge named by SRS_R_BACKEND ("sparkr" or "pyspark"). Exits 1 when a test fails.
#   Rscript "$(Rscript -e 'cat(system.file("scripts/run-tests.R", package = "srspark"))')"
# The tests are installed with the package (R CMD INSTALL --install-tests); R CMD check runs the
# same files through tests/testthat.R.
library(testthat)
library(srspark)
Sys.setenv(SRS_APP_NAME = paste0("srspark-tests-", Sys.getenv("SRS_R_BACKEND", "default")))
tests <- system.file("tests/testthat", package = "srspark")
if (!nzchar(tests)) stop("srspark was installed without its tests (R CMD INSTALL --install-tests)")
results <- test_dir(tests, reporter = TapReporter$new(), stop_on_failure = FALSE)
failed <- sum(as.data.frame(results)$failed) + sum(as.data.frame(results)$error)
quit(status = if (failed == 0L) 0L else 1L)
