# Shared by the tests: one connection, unique view names, and local frames to compare with.

con <- srs_connect()

# Names never come from R's random numbers: a test's set.seed() would repeat them across runs.
unique_name <- local({
  count <- 0L
  stamp <- format(Sys.time(), "%H%M%OS3")
  function(prefix) {
    count <<- count + 1L
    paste0(prefix, "_", Sys.getpid(), "_", gsub("[^0-9]", "", stamp), "_", count)
  }
})

# The number of Spark jobs this session has started (job ids count from 0; the tracker keeps only
# the last thousand jobs, so the highest id, not their number).
jobs_run <- function() {
  s <- srspark:::spark_parts()
  tracker <- s$bridge$jcall(s$bridge$jcall(s$session, "sparkContext"), "statusTracker")
  ids <- as.integer(s$bridge$strings(s$bridge$jcall(tracker, "getJobIdsForGroup", NULL)))
  if (length(ids) == 0L) 0L else max(ids) + 1L
}

# What a fresh R process running `lines` as a script printed (stdout and stderr), with its exit
# status in attr(, "status") when it is not 0.
run_r_script <- function(lines) {
  script <- tempfile(fileext = ".R")
  on.exit(unlink(script), add = TRUE)
  writeLines(lines, script)
  suppressWarnings(system2(file.path(R.home("bin"), "Rscript"), script, stdout = TRUE, stderr = TRUE))
}

# Rows in a stable order, row names dropped: SQL gives no order unless asked.
sorted <- function(frame, by = names(frame)) {
  frame <- as.data.frame(frame)
  out <- frame[do.call(order, unname(as.list(frame[by]))), , drop = FALSE]
  rownames(out) <- NULL
  out
}

# Every type the columnar transfer knows, with a missing value in each column.
all_types <- function() {
  data.frame(
    key = 1:6,
    number = c(1.5, -2.25, NA, 1e300, .Machine$double.eps, pi),
    whole = c(1L, NA, -3L, .Machine$integer.max, -.Machine$integer.max, 0L),
    text = c("a", "é ü 中文", NA, "quote ' and \" and \\ backslash", "", "line\nbreak"),
    factor = factor(c("b", "a", NA, "c", "a", "b")),
    flag = c(TRUE, FALSE, NA, TRUE, TRUE, FALSE),
    day = as.Date(c("2024-02-29", "1970-01-01", NA, "1900-03-01", "2100-12-31", "1969-12-31")),
    moment = as.POSIXct(c(1.7e9, 0, NA, -86400.5, 4102444800, 1.25), origin = "1970-01-01", tz = "UTC"),
    stringsAsFactors = FALSE
  )
}

# Built-in datasets: one with NAs, one with factors, one with dates.
airquality_dated <- function() {
  data <- datasets::airquality
  data$date <- as.Date(sprintf("1973-%02d-%02d", data$Month, data$Day))
  data$key <- seq_len(nrow(data))
  data
}
