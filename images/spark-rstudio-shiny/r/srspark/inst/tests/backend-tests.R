# Tests of the srspark R layer against the live cluster, on the backend named by SRS_R_BACKEND
# ("sparkr" or "pyspark"). Prints one TAP line per check; exits 1 when one fails.
#   Rscript "$(Rscript -e 'cat(system.file("tests/backend-tests.R", package = "srspark"))')"
library(srspark)

failures <- 0L
count <- 0L
check <- function(description, expr) {
  count <<- count + 1L
  outcome <- tryCatch(isTRUE(expr), error = function(e) structure(FALSE, reason = conditionMessage(e)))
  if (isTRUE(outcome)) {
    cat(sprintf("ok %d - %s\n", count, description))
  } else {
    failures <<- failures + 1L
    reason <- attr(outcome, "reason")
    cat(sprintf("not ok %d - %s%s\n", count, description, if (is.null(reason)) "" else paste0(": ", reason)))
  }
}
error_of <- function(expr) tryCatch({ expr; "" }, error = function(e) conditionMessage(e))

wanted <- Sys.getenv("SRS_R_BACKEND")
Sys.setenv(SRS_APP_NAME = paste0("srspark-tests-", wanted))
check(paste("the backend is", wanted), identical(srs_backend(), wanted))

first <- srs_session()
check("one shared session per R process", identical(srs_session(), first) && srs_session_active())

reference <- srs_reference_synthetic(20000, seed = 11)
srs_synthetic(20000, seed = 11, name = "t_synthetic")
check("the dataset has the rows asked for", srs_sql("SELECT COUNT(*) AS n FROM t_synthetic")$n == 20000)

by_segment <- srs_aggregate("t_synthetic", by = "segment", min_x = 0)
expected <- do.call(rbind, lapply(split(reference, reference$segment), function(d) data.frame(segment = d$segment[1], n = nrow(d), mean_x = mean(d$x), mean_y = mean(d$y))))
check("per-segment counts equal plain R's", identical(as.numeric(by_segment$n), as.numeric(expected$n)) && identical(by_segment$segment, expected$segment))
check("per-segment means equal plain R's (1e-9)", max(abs(by_segment$mean_y - expected$mean_y), abs(by_segment$mean_x - expected$mean_x)) < 1e-9)

# The largest seed: its products need 64-bit integers in Spark (INT would overflow).
big <- srs_reference_synthetic(5000, seed = 1e6)
srs_synthetic(5000, seed = 1e6, name = "t_big_seed")
big_spark <- srs_aggregate("t_big_seed", by = "segment")
big_r <- as.vector(table(big$segment))
check("the largest seed gives plain R's counts and means", identical(as.numeric(big_spark$n), as.numeric(big_r)) &&
  max(abs(big_spark$mean_y - tapply(big$y, big$segment, mean))) < 1e-9)

kept <- reference[reference$x >= 0.5, ]
by_decile <- srs_aggregate("t_synthetic", by = "x_decile", min_x = 0.5)
check("the filter and the decile grouping equal plain R's", identical(as.numeric(by_decile$n), as.numeric(as.vector(table(floor(kept$x * 10))))))

spark_fit <- srs_glm("t_synthetic", "y ~ x + segment")
r_fit <- stats::coef(stats::lm(y ~ x + segment, data = reference))
names_spark <- gsub("_", "", spark_fit$term)
check("GLM coefficients equal lm()'s (1e-6)", setequal(names_spark, names(r_fit)) && max(abs(spark_fit$estimate - r_fit[names_spark])) < 1e-6)

check("a formula with an unknown term is refused", grepl("unknown term\\(s\\) z", error_of(srs_glm("t_synthetic", "y ~ z"))))
check("a formula with another response is refused", grepl("the response must be y", error_of(srs_glm("t_synthetic", "x ~ y"))))
check("code in a formula is refused", grepl("^bad formula", error_of(srs_validate_formula("y ~ x; system('id')"))))
check("a filter out of range is refused", grepl("min_x in \\[0, 1\\)", error_of(srs_aggregate("t_synthetic", min_x = 2))))
check("the session survives the errors", srs_session_active())

check("the master reports ALIVE workers", srs_alive_workers() >= 1L)
info <- srs_cluster_info()
check("the cluster has executors on workers", info$executors >= 1L && length(info$executor_hosts) >= 1L && !(info$driver_host %in% info$executor_hosts))
check("the application is registered with the master", grepl("^app-", info$app_id) && identical(info$backend, wanted))

cat(sprintf("1..%d\n", count))
quit(status = if (failures == 0L) 0L else 1L)
