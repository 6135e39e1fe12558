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
