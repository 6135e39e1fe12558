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

test_that("an idle app keeps all it holds while alone, and next to other apps only while a core is free for them", {
  keep <- srspark:::executors_to_keep
  # Alone on the master: all it holds, up to what it asks for, even on one worker.
  expect_identical(keep(Inf, workers = 2L, free_cores = 0, held = 2L, own_cores = 2, others = 0L), 2L)
  expect_identical(keep(1L, workers = 2L, free_cores = 0, held = 2L, own_cores = 2, others = 0L), 1L)
  expect_identical(keep(Inf, workers = 1L, free_cores = 0, held = 1L, own_cores = 1, others = 0L), 1L)
  # Another application registered, 2 one-core workers, the app holding both: it keeps 1, which
  # leaves the other core to the newcomer.
  expect_identical(keep(Inf, workers = 2L, free_cores = 0, held = 2L, own_cores = 2, others = 1L), 1L)
  expect_identical(keep(1L, workers = 2L, free_cores = 0, held = 2L, own_cores = 2, others = 1L), 1L)
  # ...holding one while another driver holds the other: it keeps none.
  expect_identical(keep(1L, workers = 2L, free_cores = 0, held = 1L, own_cores = 1, others = 1L), 0L)
  expect_identical(keep(1L, workers = 2L, free_cores = 1, held = 1L, own_cores = 1, others = 1L), 1L)
  expect_identical(keep(5L, workers = 3L, free_cores = 1, held = 3L, own_cores = 3, others = 2L), 2L)
  expect_identical(keep(2L, workers = 4L, free_cores = 2, held = 1L, own_cores = 1, others = 1L), 1L)
  # Next to others never on one worker; never without executors, never when nothing is asked.
  expect_identical(keep(1L, workers = 1L, free_cores = 1, held = 1L, own_cores = 1, others = 1L), 0L)
  expect_identical(keep(1L, workers = 3L, free_cores = 2, held = 0L, own_cores = 0, others = 0L), 0L)
  expect_identical(keep(0L, workers = 3L, free_cores = 2, held = 1L, own_cores = 1, others = 0L), 0L)
  # Unknown figures keep nothing unless a core is free now.
  expect_identical(keep(1L, workers = NA_integer_, free_cores = 1, held = 1L, own_cores = 1, others = 1L), 0L)
  expect_identical(keep(1L, workers = 2L, free_cores = NA_real_, held = 1L, own_cores = NA_real_, others = 1L), 0L)
  expect_identical(keep(1L, workers = 2L, free_cores = 1, held = 1L, own_cores = NA_real_, others = 1L), 1L)
  wanted <- srspark:::kept_executors_wanted
  withr::with_options(list(srspark.keep_executors = NULL), expect_identical(wanted(), 0L))
  withr::with_options(list(srspark.keep_executors = -1), expect_error(wanted(), "srspark.keep_executors.*-1"))
  withr::with_options(list(srspark.keep_executors = 1.5), expect_error(wanted(), "srspark.keep_executors.*1.5"))
  withr::with_options(list(srspark.keep_executors = NA_real_), expect_error(wanted(), "srspark.keep_executors.*NA"))
  withr::with_options(list(srspark.keep_executors = Inf), expect_identical(wanted(), Inf))
  withr::with_options(list(srspark.keep_executors = 2), expect_identical(wanted(), 2L))
})

test_that("a keep-warm round runs a job when it keeps an executor, and none when the app asks for none", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  dbGetQuery(con, "SELECT count(*) AS n FROM range(0, 1000, 1, 2)")
  before <- jobs_run()
  withr::with_options(list(srspark.keep_executors = 0L), expect_identical(srspark:::keep_warm(), 0L))
  expect_identical(jobs_run(), before)
  kept <- withr::with_options(list(srspark.keep_executors = 1L), srspark:::keep_warm())
  expect_true(kept %in% c(0L, 1L))
  if (kept == 1L) expect_gt(jobs_run(), before) else expect_identical(jobs_run(), before)
  # Inf keeps at most the executors the app holds.
  held <- length(srspark:::executor_hosts())
  before <- jobs_run()
  kept <- withr::with_options(list(srspark.keep_executors = Inf), srspark:::keep_warm())
  expect_true(kept %in% 0:held)
  if (kept >= 1L) expect_gt(jobs_run(), before) else expect_identical(jobs_run(), before)
})
