# Runs srspark's tests against the live cluster and prints TAP (one line per expectation block),
# on the bridge named by SRS_R_BACKEND ("sparkr" or "pyspark"). Exits 1 when a test fails.
#   Rscript "$(Rscript -e 'cat(system.file("tests/run-tests.R", package = "srspark"))')"
library(testthat)
library(srspark)
Sys.setenv(SRS_APP_NAME = paste0("srspark-tests-", Sys.getenv("SRS_R_BACKEND", "default")))
results <- test_dir(system.file("tests/testthat", package = "srspark"), reporter = TapReporter$new(), stop_on_failure = FALSE)
failed <- sum(as.data.frame(results)$failed) + sum(as.data.frame(results)$error)
quit(status = if (failed == 0L) 0L else 1L)
