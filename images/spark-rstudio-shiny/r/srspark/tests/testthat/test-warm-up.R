# A job of the warm-up's group that runs for minutes unless cancelled: 10^12 rows summed.
long_job <- function() {
  dbGetQuery(con, "SELECT sum(id % 7) AS s FROM range(0, 1000000000000, 1, 2)")
}

# Runs `work` as the warm-up does, under a guard on `master_json` that takes `own_app` for this
# application.
guarded <- function(work, master_json, own_app, seconds) {
  srspark:::with_warm_up_guard(work, master_json, own_app, seconds, "test")
}

test_that("srs_warm_up() refuses bad arguments by name, before scheduling anything", {
  expect_error(srs_warm_up("SELECT 1"), "work must be a function of no arguments, got \"SELECT 1\"", fixed = TRUE)
  expect_error(srs_warm_up(function(x) x), "work must be a function of no arguments", fixed = TRUE)
  expect_error(srs_warm_up(function() 1, max_seconds = 0), "max_seconds must be a whole number from 1 to 3600, got 0", fixed = TRUE)
  expect_error(srs_warm_up(function() 1, max_seconds = NA), "max_seconds must be a whole number from 1 to 3600, got NA", fixed = TRUE)
  expect_error(srs_warm_up(function() 1, attempts = 2.5), "attempts must be a whole number from 1 to 10, got 2.5", fixed = TRUE)
})

test_that("a warm-up runs only while its application is alone on an ALIVE master with a core free", {
  own <- srs_cluster_info()$app_id
  alone <- srspark:::alone_with_a_free_core
  worker <- function(free, state = "ALIVE") list(state = state, coresfree = free)
  master <- function(workers, ids, status = "ALIVE") {
    list(status = status, workers = workers, activeapps = lapply(ids, function(id) list(id = id)))
  }
  expect_true(alone(master(list(worker(1), worker(0)), own)))
  expect_false(alone(NULL))
  expect_false(alone(master(list(worker(1)), own, status = "STANDBY")))
  expect_false(alone(master(list(worker(0), worker(0)), own)))
  expect_false(alone(master(list(worker(2, state = "DEAD")), own)))
  expect_false(alone(master(list(worker(1)), c(own, "app-20261207000000-0001"))))
  expect_false(alone(master(list(worker(1)), character())))
})

test_that("the warm-up's jobs are cancelled as soon as the master lists another application, later ones too", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  # Taking another id for its own, the guard sees this application as another one: it trips at
  # its first look and cancels the running job, then the next job of the group as it starts.
  ran <- guarded(
    function() {
      try(long_job(), silent = TRUE)
      long_job()
    },
    srspark:::master_page_address("json/"), "app-20000101000000-0000", 600
  )
  expect_false(is.null(ran$failure))
  expect_match(ran$reason, "^another application \\(app-[0-9]+-[0-9]+\\) registered$")
  expect_lt(ran$seconds, 60)
  # Out of the group, and with the guard closed, jobs run as before.
  expect_equal(as.numeric(dbGetQuery(con, "SELECT count(*) AS n FROM range(0, 10)")$n), 10)
})

test_that("the warm-up's jobs are cancelled at its deadline, with a master that does not answer", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  ran <- guarded(long_job, "http://127.0.0.1:9/json/", srs_cluster_info()$app_id, 3)
  expect_false(is.null(ran$failure))
  expect_identical(ran$reason, "its deadline passed")
  expect_gte(ran$seconds, 2.5)
  expect_lt(ran$seconds, 60)
})

test_that("a warm-up that finishes leaves the guard untripped and its jobs' results unchanged", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  n <- NULL
  ran <- guarded(
    function() n <<- dbGetQuery(con, "SELECT count(*) AS n FROM range(0, 1000, 1, 2)")$n,
    "http://127.0.0.1:9/json/", srs_cluster_info()$app_id, 600
  )
  expect_null(ran$failure)
  expect_identical(ran$reason, "")
  expect_equal(as.numeric(n), 1000)
})
