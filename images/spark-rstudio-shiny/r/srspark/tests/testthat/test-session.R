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

worker_in_this_container <- function() {
  procs <- list.files("/proc", pattern = "^[0-9]+$", full.names = TRUE)
  any(vapply(procs, function(p) {
    cmd <- tryCatch(readBin(file.path(p, "cmdline"), "raw", 65536L), error = function(e) raw())
    cmd[cmd == as.raw(0L)] <- as.raw(32L)
    grepl("org.apache.spark.deploy.worker.Worker", rawToChar(cmd), fixed = TRUE)
  }, logical(1)))
}

test_that("the work runs on executors on the workers, and the application is registered with the master", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  expect_gte(srs_alive_workers(), 1L)
  dbGetQuery(con, "SELECT SUM(id) AS s FROM range(0, 1000000, 1, 4)")
  info <- srs_cluster_info()
  expect_gte(info$executors, 1L)
  # On the stack the workers are other containers; a trial container runs its worker next to the
  # driver, on the same host.
  if (!worker_in_this_container()) expect_false(info$driver_host %in% info$executor_hosts)
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

test_that("a WAITING application asks for executors only when its master page says so", {
  asks <- srspark:::executors_asked_beyond_granted
  page <- function(limit, granted) {
    c(
      "<li>", "  <span data-toggle=\"tooltip\">", "    <strong>Executor Limit: </strong>",
      sprintf("    %s", limit), sprintf("    (%s granted)", granted), "  </span>", "</li>"
    )
  }
  expect_false(asks(page(0, 0)))
  expect_false(asks(page(2, 2)))
  expect_true(asks(page(1, 0)))
  expect_true(asks(page("Unlimited", 0)))
  # A page it cannot read counts as asking: the app then gives back what it does not keep.
  expect_true(asks(NULL))
  expect_true(asks("<html>Application not found</html>"))
  expect_error(
    srspark:::wants_executors("app-1/../../x"), 'not an application id: "app-1/../../x"',
    fixed = TRUE
  )
})

test_that("a keep-warm task runs on an executor of the host it is bound to, and on no other", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  # Tasks long enough (1 s each, 8 s of work) for dynamic allocation to bring a second executor
  # while the master has a core free, so that the test also sees the other executor run none.
  free_cores <- function() {
    workers <- Filter(function(worker) identical(worker$state, "ALIVE"), srspark:::master_state()$workers)
    sum(vapply(workers, function(worker) as.numeric(worker$coresfree), numeric(1)))
  }
  for (round in 1:4) {
    dbGetQuery(con, "SELECT reflect('java.lang.Thread', 'sleep', CAST(1000 AS BIGINT)) AS slept FROM range(0, 8, 1, 8)")
    hosts <- srspark:::executor_hosts()
    if (length(hosts) >= 2L || free_cores() == 0) break
  }
  skip_if(length(hosts) == 0L, "the application holds no executor")
  s <- srspark:::session_parts()
  context <- s$bridge$jcall(s$session, "sparkContext")
  ui <- s$bridge$scalar(s$bridge$jcall(s$bridge$jcall(context, "uiWebUrl"), "get"))
  # The tasks each executor host has completed, from the driver's REST API (its listener updates
  # them just after the job ends).
  tasks_by_host <- function() {
    executors <- jsonlite::fromJSON(paste0(ui, "/api/v1/applications/", srs_cluster_info()$app_id, "/executors"))
    executors <- executors[executors$id != "driver", ]
    tapply(executors$completedTasks, sub(":[0-9]+$", "", executors$hostPort), sum)
  }
  before <- tasks_by_host()
  target <- sort(hosts)[1]
  ran <- s$bridge$jstatic(s$handle, "org.sparkrstudioshiny.srspark.ClusterInfo", "touchHosts", context, paste(rep(target, 3), collapse = ","))
  expect_equal(as.numeric(s$bridge$scalar(ran)), 3)
  deadline <- Sys.time() + 10
  repeat {
    after <- tasks_by_host()
    if (after[[target]] - before[[target]] >= 3 || Sys.time() > deadline) break
    Sys.sleep(0.2)
  }
  expect_identical(after[[target]] - before[[target]], 3L)
  for (host in setdiff(names(before), target)) expect_identical(after[[host]], before[[host]], label = host)
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

test_that("a Shiny app keeps its executors on Shiny's timers, with no `later` callback pending", {
  skip_if_not(startsWith(Sys.getenv("SPARK_MASTER_URL"), "spark://"), "not on a cluster")
  skip_if_not_installed("shiny")
  # A pending `later` callback makes an idle Shiny app wake every few milliseconds (see
  # repeat_in_shiny()): after its first round the keep-warm must run on Shiny's timers only.
  output <- run_r_script(c(
    "library(srspark)",
    "options(srspark.keep_executors = Inf)",
    "con <- srs_connect()",
    "started <- Sys.time()",
    "report <- function() {",
    "  waited <- as.numeric(difftime(Sys.time(), started, units = 'secs'))",
    "  if (srspark:::.state$keep_warm_rounds < 2L && waited < 60) return(shiny::invalidateLater(500, session = NULL))",
    "  cat(sprintf('ROUNDS=%d PENDING=%s AFTER=%.1fs\\n', srspark:::.state$keep_warm_rounds, !later::loop_empty(), waited))",
    "  shiny::stopApp()",
    "}",
    "app <- shiny::shinyApp(shiny::fluidPage(), function(input, output, session) NULL,",
    "  onStart = function() shiny::observe(report(), domain = NULL))",
    "shiny::runApp(app, port = httpuv::randomPort(), launch.browser = FALSE)"
  ))
  line <- grep("^ROUNDS=", output, value = TRUE)
  expect_length(line, 1L)
  # Rounds every WATCH_SECONDS (15 s after a round that could not read the master): the
  # first from `later`, the next from Shiny's timer. Reported once the second has run.
  expect_gte(as.integer(sub("^ROUNDS=([0-9]+).*", "\\1", line)), 2L, label = line)
  expect_match(line, "PENDING=FALSE", fixed = TRUE)
})

test_that("options(srspark.session_conf) sets the Spark settings of the session a process opens", {
  conf <- srspark:::session_conf
  own <- list(spark.sql.shuffle.partitions = 7, spark.sql.ansi.enabled = FALSE)
  withr::with_options(list(srspark.session_conf = own), {
    expect_identical(conf(2L)$spark.sql.shuffle.partitions, "7")
    expect_identical(conf(2L)$spark.sql.ansi.enabled, "false")
    expect_identical(conf(2L)$spark.sql.session.timeZone, "UTC")
  })
  big <- list(spark.dynamicAllocation.maxExecutors = 1e6)
  withr::with_options(list(srspark.session_conf = big), {
    expect_identical(conf(2L)$spark.dynamicAllocation.maxExecutors, "1000000")
  })
  refused <- function(value, message) {
    withr::with_options(
      list(srspark.session_conf = value),
      expect_error(conf(2L), message, fixed = TRUE)
    )
  }
  refused(list(`spark.x; rm -rf /` = "1"), 'spark.<name>), got "spark.x; rm -rf /"')
  refused(list(master = "local"), '"master"')
  refused(list(spark.a = c(1, 2)), "spark.a one string, number or logical, got c(1, 2)")
  refused(list(spark.a = NA), "spark.a one string")
  refused("spark.a=1", "a named list")
  # A fresh process opens its session with them.
  output <- run_r_script(c(
    "library(srspark)",
    "options(srspark.session_conf = list(spark.sql.shuffle.partitions = 7, spark.dynamicAllocation.initialExecutors = 0))",
    "con <- srs_connect()",
    "cat(sprintf('PARTITIONS=%s\\n', DBI::dbGetQuery(con, 'SET spark.sql.shuffle.partitions')$value))",
    "s <- srspark:::session_parts()",
    "conf <- s$bridge$jcall(s$bridge$jcall(s$session, 'sparkContext'), 'getConf')",
    "cat(sprintf('INITIAL=%s\\n', s$bridge$scalar(s$bridge$jcall(conf, 'get', 'spark.dynamicAllocation.initialExecutors'))))",
    # The master lists it as WAITING; its page there shows it asks for no executor.
    "cat(sprintf('WANTS=%s\\n', srspark:::wants_executors(srspark:::.state$app_id)))"
  ))
  expect_identical(
    grep("^(PARTITIONS|INITIAL|WANTS)=", output, value = TRUE),
    c("PARTITIONS=7", "INITIAL=0", "WANTS=FALSE"),
    info = paste(output, collapse = "\n")
  )
})

test_that("a script shows one line for a failed query: no start-up warnings, progress, traces", {
  skip_if(srs_backend() != "pyspark", "the PySpark bridge's loggers")
  output <- run_r_script(c(
    "library(srspark)",
    "con <- srs_connect()",
    "invisible(DBI::dbGetQuery(con, 'SELECT SUM(id) AS s FROM range(0, 2000000, 1, 4)'))",
    "DBI::dbGetQuery(con, 'SELECT nope FROM no_such_table')"
  ))
  expect_identical(attr(output, "status"), 1L)
  errors <- grep("^Error", output, value = TRUE)
  expect_length(errors, 1L)
  expect_match(errors, "[TABLE_OR_VIEW_NOT_FOUND]", fixed = TRUE)
  # (The JVM's own "WARNING: Using incubator modules" line stays: Spark's launcher always adds
  # the module, and the JVM has no switch for that line. A warning that the job waits for cores,
  # which this test's own session may hold for a while, is one a user should see.)
  output <- grep("Initial job has not accepted any resources", output, value = TRUE, invert = TRUE)
  noise <- grep("QueryContextLogger| WARN |\\[Stage|\\bat org\\.apache", output, value = TRUE)
  expect_identical(noise, character(), info = paste(output, collapse = "\n"))
})

test_that("options(srspark.verbose = TRUE) adds the JVM trace to the error", {
  expect_error(
    withr::with_options(
      list(srspark.verbose = TRUE),
      dbGetQuery(con, "SELECT nope FROM no_such_table")
    ),
    "TABLE_OR_VIEW_NOT_FOUND\\][^\n]*\n(.|\n)*at org\\.apache\\.spark"
  )
})
