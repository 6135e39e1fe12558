test_that("the bridge is the one asked for", {
  wanted <- Sys.getenv("SRS_R_BACKEND")
  skip_if(wanted == "", "SRS_R_BACKEND is not set")
  expect_identical(srs_backend(), wanted)
})

test_that("one shared session per R process, kept when a connection is closed", {
  first <- srs_session()
  other <- srs_connect()
  dbDisconnect(other)
  expect_false(dbIsValid(other))
  expect_error(dbGetQuery(other, "SELECT 1"), "disconnected")
  expect_identical(srs_session(), first)
  expect_true(srs_session_active())
  expect_true(dbIsValid(con))
})

test_that("the work runs on executors on the workers, and the application is registered with the master", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  expect_gte(srs_alive_workers(), 1L)
  dbGetQuery(con, "SELECT SUM(id) AS s FROM range(0, 1000000, 1, 4)")
  info <- srs_cluster_info()
  expect_gte(info$executors, 1L)
  expect_false(info$driver_host %in% info$executor_hosts)
  expect_match(info$app_id, "^app-")
  expect_identical(dbGetInfo(con)$app_id, info$app_id)
})

test_that("an app keeps the executors it asks for while idle, never every worker", {
  keep <- srspark:::keep_executors
  withr::with_options(list(srspark.keep_executors = NULL), expect_identical(keep(4L), 0L))
  withr::with_options(list(srspark.keep_executors = 1L), {
    expect_identical(keep(2L), 1L)
    expect_identical(keep(1L), 0L)
    expect_identical(keep(NA_integer_), 0L)
    expect_identical(srspark:::session_conf(2L, keep(3L))$spark.dynamicAllocation.minExecutors, "1")
  })
  withr::with_options(list(srspark.keep_executors = 5L), expect_identical(keep(3L), 2L))
  withr::with_options(list(srspark.keep_executors = -1), expect_error(keep(3L), "srspark.keep_executors.*-1"))
  expect_null(srspark:::session_conf(2L, 0L)$spark.dynamicAllocation.minExecutors)
})
