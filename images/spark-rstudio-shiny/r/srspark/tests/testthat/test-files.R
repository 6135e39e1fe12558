# Files written by the workers and read back; /data is the stack's data volume (shared on one
# node). SRS_TEST_DATA_DIR overrides it.
library(dplyr, warn.conflicts = FALSE)

data_dir <- Sys.getenv("SRS_TEST_DATA_DIR", "/data")

test_that("CSV, Parquet and JSON written by Spark read back equal", {
  skip_if_not(dir.exists(data_dir) && file.access(data_dir, 2) == 0, paste(data_dir, "is not a writable folder here"))
  frame <- airquality_dated()
  source <- copy_to(con, frame, unique_name("t_files"))
  for (format in c("csv", "parquet", "json")) {
    path <- file.path(data_dir, paste0(unique_name("srspark_test"), ".", format))
    on.exit(unlink(path, recursive = TRUE), add = TRUE)
    expect_identical(srs_write(source, path, format = format), path)
    back <- collect(srs_read(con, path, unique_name("t_read")))
    back <- sorted(back, "key")
    if (format != "parquet") {
      # Text formats carry no types: numbers come back as Spark infers them.
      back$date <- as.Date(back$date)
      for (column in c("Ozone", "Solar.R", "Temp", "Month", "Day", "key")) back[[column]] <- as.integer(back[[column]])
    }
    expect_identical(back[names(frame)], frame)
  }
  taken <- file.path(data_dir, paste0(unique_name("srspark_test"), ".parquet"))
  on.exit(unlink(taken, recursive = TRUE), add = TRUE)
  srs_write(source, taken)
  expect_error(srs_write(source, taken), "PATH_ALREADY_EXISTS")
  srs_write(source, taken, mode = "overwrite")
  srs_write(source, taken, mode = "append")
  expect_identical(nrow(collect(srs_read(con, taken, unique_name("t_twice")))), 2L * nrow(frame))
})

test_that("a missing file, a bad format and a bad path each give one clear error", {
  expect_error(srs_read(con, "/data/no/such/file.csv", "t_missing"), "no file or folder at /data/no/such/file.csv")
  expect_error(srs_read(con, "/data/file.xlsx", "t_bad"), "cannot tell the format of /data/file.xlsx")
  expect_error(srs_read(con, "/data/file.csv", "t_bad", format = "excel"), "format must be one of csv, parquet, json")
  expect_error(srs_read(con, "relative/file.csv", "t_bad"), "a path must be absolute")
  expect_error(srs_write(data.frame(a = 1), "/data/a.csv"), "needs a lazy table")
})
