# R CMD check runs the suite here. It needs a Spark master: the image's head, or a trial
# container (SRS_TRIAL_PASSWORD), where SPARK_MASTER_URL is set. Without one the suite does not run.
library(testthat)
library(srspark)

if (nzchar(Sys.getenv("SPARK_MASTER_URL"))) {
  test_check("srspark", reporter = ProgressReporter$new(show_praise = FALSE))
}
