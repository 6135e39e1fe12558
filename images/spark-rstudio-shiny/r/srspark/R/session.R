# One shared Spark session per R process, on whichever bridge this image has.

.state <- new.env(parent = emptyenv())

# How often (seconds) a session in use is checked against the master: a master that was
# replaced or restarted forgets the applications it had, and the session must be reopened.
MASTER_CHECK_SECONDS <- 5

sparkr_lib <- function() {
  file.path(Sys.getenv("SPARK_HOME", "/opt/spark"), "R", "lib")
}

sparkr_available <- function() {
  lib <- sparkr_lib()
  if (dir.exists(file.path(lib, "SparkR")) && !(lib %in% .libPaths())) .libPaths(c(lib, .libPaths()))
  requireNamespace("SparkR", quietly = TRUE)
}

#' The bridge to Spark of this R process
#'
#' SparkR when it is installed (images built from Apache's tarball), else PySpark through
#' reticulate (images built from the PyPI artifact). The environment variable `SRS_R_BACKEND`
#' chooses one.
#'
#' @return `"sparkr"` or `"pyspark"`.
#' @export
#' @examples
#' srs_backend()
srs_backend <- function() {
  chosen <- Sys.getenv("SRS_R_BACKEND", "")
  if (chosen != "") {
    if (!chosen %in% c("sparkr", "pyspark")) stop("SRS_R_BACKEND must be \"sparkr\" or \"pyspark\", got \"", chosen, "\"", call. = FALSE)
    if (chosen == "sparkr" && !sparkr_available()) stop("SRS_R_BACKEND=sparkr but SparkR is not installed in this image (it ships only in Apache's tarball)", call. = FALSE)
    return(chosen)
  }
  if (sparkr_available()) "sparkr" else "pyspark"
}

master_url <- function() {
  master <- Sys.getenv("SPARK_MASTER_URL", "spark://master:7077")
  if (!grepl("^spark://[A-Za-z0-9._-]+:[0-9]+$", master) && !grepl("^local(\\[[0-9*]+\\])?$", master)) {
    stop("SPARK_MASTER_URL must look like spark://HOST:PORT, got \"", master, "\"", call. = FALSE)
  }
  master
}

# The cores of the cluster's ALIVE workers, as the master reports them (NA if unknown).
master_cores <- function() {
  state <- tryCatch(master_state(timeout = 2), error = function(e) NULL)
  if (is.numeric(state$cores) && length(state$cores) == 1L && state$cores > 0) as.integer(state$cores) else NA_integer_
}

# At least `n` partitions, rounded up to a multiple of the cluster's cores, so that no core
# idles through the last wave of tasks.
cluster_partitions <- function(n) {
  cores <- .state$cores
  n <- max(1L, as.integer(n))
  if (is.null(cores) || is.na(cores)) return(n)
  as.integer(ceiling(n / cores) * cores)
}

# How often (seconds) an interactive app's executors are kept busy for a moment while it idles:
# well under the 30 s after which dynamic allocation gives an idle executor back.
KEEP_WARM_SECONDS <- 15

# How often (seconds) an idle app that keeps executors reads the master between those jobs: a
# driver that arrives while the app holds every core gets the ones it stops keeping this soon.
# After a round that could not read the master, the next waits KEEP_WARM_SECONDS (each read may
# take its 2 s timeout, in the app's own R process). A round of an app that holds no executor
# reads nothing from the master.
WATCH_SECONDS <- 1

# The executors an interactive app asks to keep while idle: options(srspark.keep_executors = n),
# where n = Inf keeps every executor it holds.
kept_executors_wanted <- function() {
  wanted <- getOption("srspark.keep_executors", 0L)
  if (!is.numeric(wanted) || length(wanted) != 1L || is.na(wanted) || wanted < 0 || (is.finite(wanted) && wanted != round(wanted))) {
    stop("options(srspark.keep_executors) must be a whole number of 0 or more, or Inf, got ", paste(deparse(wanted), collapse = ""), call. = FALSE)
  }
  if (is.finite(wanted)) as.integer(wanted) else wanted
}

# How many of the executors it holds an idle app keeps now, out of what it asks for:
# - alone on the master (no other application holds a core or waits for one), all it holds: an
#   application that registers later is seen at the next round, which then keeps fewer (what it
#   stops keeping goes back at once while no core is free, see keep_warm());
# - next to other applications, never more than all ALIVE workers but one, and none unless a
#   core is left for other drivers once the app is down to the kept executors (the cores free
#   now, plus those of its executors it lets go; another driver may be waiting for one).
# The executors it does not keep go back after dynamic allocation's idle timeout.
executors_to_keep <- function(wanted, workers, free_cores, held, own_cores, others) {
  if (is.na(held) || held < 1L || wanted < 1) return(0L)
  if (identical(others, 0L)) return(as.integer(min(wanted, held)))
  if (is.na(workers) || workers < 2L) return(0L)
  keep <- as.integer(min(wanted, workers - 1L, held))
  own <- if (is.na(own_cores)) 0 else own_cores
  left_for_others <- (if (is.na(free_cores)) 0 else free_cores) + own - keep * own / held
  if (keep < 1L || left_for_others < 1) 0L else keep
}

# One round of keeping an idle app's executors: with `touch`, a job of one tiny task per kept
# executor, each bound to its executor's host, resets the idle timers of those executors only
# (always the same ones, the first hosts in order), so the others go back. While other
# applications have every core (one asks for executors, or runs on all that are left), the
# others are given back at once (ClusterInfo.releaseExecutors) rather than after the idle
# timeout; otherwise they stay warm for the app's next request until then. Returns how many it
# kept, NA when it could not read the master.
# It reads the master once when it holds executors, and never reopens the session: an
# application the master no longer lists has nothing to keep, and the app's next request
# reopens it.
keep_warm <- function(touch = TRUE) {
  wanted <- kept_executors_wanted()
  if (wanted == 0L || !srs_session_active() || !startsWith(.state$master, "spark://")) return(0L)
  # An app that holds no executor (one that has not run a job yet, or gave them back) has
  # nothing to keep: it asks its own driver, not the master.
  s <- session_parts()
  hosts <- executor_hosts(s)
  if (length(hosts) == 0L) return(0L)
  state <- tryCatch(master_state(timeout = 2), error = function(e) NULL)
  if (is.null(state)) return(NA_integer_)
  if (!identical(state$status, "ALIVE")) return(0L)
  own <- own_application(state)
  if (is.null(own)) return(0L)
  alive <- alive_workers(state)
  free <- free_cores(alive)
  # The cores the master granted this application ("cores" of its entry).
  own_cores <- if (is.numeric(own$cores)) own$cores else NA_real_
  # The other applications that hold cores or wait for one. A WAITING one with cores free would
  # have had them if it asked; with none free, its page on the master tells whether it asks.
  waiting <- Filter(
    function(app) {
      identical(app$state, "WAITING") && !identical(app$id, own$id) && free < 1 &&
        wants_executors(app$id)
    },
    state$activeapps
  )
  holding <- Filter(
    function(app) is.numeric(app$cores) && app$cores > 0 && !identical(app$id, own$id),
    state$activeapps
  )
  others <- length(waiting) + length(holding)
  keep <- executors_to_keep(wanted, length(alive), free, length(hosts), own_cores, others)
  # The executors it does not keep go back at once while no core is free for the others (one
  # waits for its first executor, or runs on all the cores there are and may want more); else
  # after dynamic allocation's idle timeout, warm for the app's next request until then.
  methods <- c(
    if (keep > 0L && touch) "touchHosts",
    if (others > 0L && free < 1 && keep < length(hosts)) "releaseExecutors"
  )
  if (length(methods) == 0L) return(keep)
  context <- s$bridge$jcall(s$session, "sparkContext")
  kept_hosts <- paste(sort(hosts)[seq_len(keep)], collapse = ",")
  for (method in methods) {
    s$bridge$jstatic(s$handle, "org.sparkrstudioshiny.srspark.ClusterInfo", method, context, kept_hosts)
  }
  keep
}

# Runs keep_warm() from R's event loop (a Shiny app's, between requests), once per process, for
# as long as an app asks to keep executors: every WATCH_SECONDS, its job every KEEP_WARM_SECONDS.
# Never lets an error reach the app.
schedule_keep_warm <- function() {
  if (isTRUE(.state$keeping_warm)) return(invisible())
  .state$keeping_warm <- TRUE
  .state$keep_warm_rounds <- 0L
  touched <- Sys.time()
  # One round; returns the seconds until the next, or NULL once the app keeps no executor.
  keep_warm_round <- function() {
    wanted <- tryCatch(kept_executors_wanted(), error = function(e) 0L)
    if (wanted == 0L) {
      .state$keeping_warm <- FALSE
      return(NULL)
    }
    since <- as.numeric(difftime(Sys.time(), touched, units = "secs"))
    due <- since >= KEEP_WARM_SECONDS - WATCH_SECONDS / 2
    kept <- tryCatch(keep_warm(touch = due), error = function(e) 0L)
    if (due) touched <<- Sys.time()
    .state$keep_warm_rounds <- .state$keep_warm_rounds + 1L
    if (is.na(kept)) KEEP_WARM_SECONDS else WATCH_SECONDS
  }
  repeat_from_event_loop(keep_warm_round, WATCH_SECONDS)
}

# The ALIVE workers of the master's state (its /json/ document).
alive_workers <- function(state) {
  Filter(function(worker) identical(worker$state, "ALIVE"), state$workers)
}

# The cores free on the given workers (entries of the master's /json/ "workers").
free_cores <- function(workers) {
  sum(vapply(workers, function(worker) if (is.numeric(worker$coresfree)) worker$coresfree else 0, numeric(1)))
}

# Runs `round` from R's event loop, first after `delay` seconds, until it returns NULL; it returns
# the seconds until the next run. Inside a Shiny app (once it serves) on Shiny's own timers.
repeat_from_event_loop <- function(round, delay, label = "srspark keep-warm") {
  tick <- function() {
    if (shiny_app_running()) return(repeat_in_shiny(round, label))
    delay <- round()
    if (!is.null(delay)) later::later(tick, delay)
  }
  later::later(tick, delay)
}

# Whether this R process serves a Shiny app now (Shiny Server's, or shiny::runApp()).
shiny_app_running <- function() {
  isNamespaceLoaded("shiny") && isTRUE(tryCatch(shiny::isRunning(), error = function(e) FALSE))
}

# Runs `round` from Shiny's own timers until it returns NULL; it returns the seconds until the
# next run. Inside a Shiny app a pending `later` callback costs CPU while idle: Shiny's loop
# waits for the next one with a timeout in milliseconds, but later::next_op_secs() gives seconds,
# so a callback due in 3 s makes the loop wake every 3 ms (an idle demo used 13% of a core).
repeat_in_shiny <- function(round, label = "srspark keep-warm") {
  shiny::observe(
    {
      delay <- tryCatch(shiny::isolate(round()), error = function(e) KEEP_WARM_SECONDS)
      if (!is.null(delay)) shiny::invalidateLater(delay * 1000, session = NULL)
    },
    domain = NULL,
    label = label
  )
  invisible()
}

# Settings every session of this package gets: UTC, so dates and times mean the same in R and
# Spark whatever the machine's zone; shuffles sized to the cluster instead of Spark's 200; no
# progress bar on the console unless options(srspark.progress = TRUE). Then the process's own,
# from options(srspark.session_conf), which win.
session_conf <- function(cores) {
  defaults <- list(
    spark.sql.session.timeZone = "UTC",
    spark.sql.shuffle.partitions = as.character(if (is.na(cores)) 8L else max(2L, 2L * cores)),
    spark.ui.showConsoleProgress = tolower(isTRUE(getOption("srspark.progress", FALSE)))
  )
  utils::modifyList(defaults, own_session_conf())
}

# options(srspark.session_conf = list(spark.name = value, ...)): Spark settings for the session
# this process opens next (an app that opens its session ahead of its first visitor sets
# spark.dynamicAllocation.initialExecutors = 0, say). Each name a Spark setting's, each value one
# string, number or logical; a bad one is refused by name before any session opens.
own_session_conf <- function() {
  conf <- getOption("srspark.session_conf", list())
  if (!is.list(conf) || (length(conf) > 0L && is.null(names(conf)))) {
    stop("options(srspark.session_conf) must be a named list of Spark settings, got ", paste(deparse(conf), collapse = ""), call. = FALSE)
  }
  for (name in names(conf)) {
    if (!grepl("^spark\\.[A-Za-z0-9_.-]+$", name)) {
      stop("options(srspark.session_conf) names Spark settings (spark.<name>), got ", encodeString(name, quote = '"'), call. = FALSE)
    }
    value <- conf[[name]]
    scalar <- (is.character(value) || is.numeric(value) || is.logical(value)) && length(value) == 1L
    if (!scalar || is.na(value)) {
      stop("options(srspark.session_conf) must give ", name, " one string, number or logical, got ", paste(deparse(value), collapse = ""), call. = FALSE)
    }
  }
  lapply(conf, function(value) {
    if (is.logical(value)) tolower(value) else format(value, scientific = FALSE, trim = TRUE)
  })
}

#' Whether this R process holds a live Spark session
#'
#' @return `TRUE` when a session is open and its driver answers, else `FALSE`. Opens nothing.
#' @seealso [srs_session()]
#' @export
#' @examples
#' srs_session_active()
srs_session_active <- function() {
  !is.null(.state$handle) && isTRUE(tryCatch(.state$bridge$alive(.state$handle), error = function(e) FALSE))
}

# A live session whose application the master no longer lists (the master was replaced, or
# restarted without recovering it) will never get executors again.
application_lost <- function() {
  now <- Sys.time()
  if (!is.null(.state$checked_at) && difftime(now, .state$checked_at, units = "secs") < MASTER_CHECK_SECONDS) return(FALSE)
  .state$checked_at <- now
  state <- tryCatch(master_state(timeout = 2), error = function(e) NULL)
  # A master that does not answer may come back with the application: keep the session.
  if (is.null(state) || !identical(state$status, "ALIVE")) return(FALSE)
  if (is.numeric(state$cores) && state$cores > 0) .state$cores <- as.integer(state$cores)
  is.null(own_application(state))
}

# This session's entry in the master's running applications (its /json/ document), or NULL.
own_application <- function(state) {
  Find(function(app) identical(app$id, .state$app_id), state$activeapps)
}

#' The Spark session of this R process
#'
#' Opened on first use against the master at `SPARK_MASTER_URL` (the secret and the driver's
#' address come from the image's Spark configuration) and shared by every caller afterwards:
#' every browser tab of a Shiny app, every cell of a notebook. It is never stopped when a caller
#' goes away; a session that died, or whose application the master no longer knows (a master
#' that was replaced), is opened again, and its temporary views are then gone.
#'
#' @param app_name The application's name in the master's UI.
#' @return The session's handle (a SparkR session or a PySpark `SparkSession`), invisibly.
#' @seealso [srs_connect()] for a DBI connection on it, [srs_stop()] to end it.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' srs_session()
#' srs_cluster_info()$app_id
srs_session <- function(app_name = Sys.getenv("SRS_APP_NAME", "srspark")) {
  if (srs_session_active()) {
    if (!startsWith(.state$master, "spark://") || !application_lost()) return(invisible(.state$handle))
    message("srspark: the master no longer knows application ", .state$app_id, "; opening a new Spark session")
    try(.state$bridge$stop(.state$handle), silent = TRUE)
    .state$handle <- NULL
  }
  master <- master_url()
  bridge <- switch(srs_backend(), sparkr = bridge_sparkr(), pyspark = bridge_pyspark())
  cores <- if (startsWith(master, "spark://")) master_cores() else NA_integer_
  handle <- tryCatch(
    bridge$open(app_name, master, session_conf(cores)),
    error = function(e) stop("could not open a Spark session against ", master, ": ", conditionMessage(e), call. = FALSE)
  )
  .state$bridge <- bridge
  .state$handle <- handle
  .state$master <- master
  .state$app_id <- bridge$scalar(bridge$jcall(bridge$jcall(bridge$jsession(handle), "sparkContext"), "applicationId"))
  .state$checked_at <- Sys.time()
  # Ended as R exits (a script's end, a kernel's shutdown), in order: left to the JVM's own
  # shutdown, the driver raced its executors' exits and printed their disconnections.
  if (!isTRUE(.state$stops_at_exit)) {
    reg.finalizer(.state, function(state) srs_stop(), onexit = TRUE)
    .state$stops_at_exit <- TRUE
  }
  .state$cores <- if (is.na(cores)) bridge$scalar(bridge$jcall(bridge$jcall(bridge$jsession(handle), "sparkContext"), "defaultParallelism")) else cores
  if (kept_executors_wanted() > 0L) schedule_keep_warm()
  invisible(handle)
}

#' End this R process's Spark session
#'
#' The application ends (it moves to the history server) and gives its executors back. The next
#' call that needs Spark opens a new session; the temporary views of this one are gone.
#'
#' @return Whether a session was open, invisibly.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' srs_stop()
srs_stop <- function() {
  if (is.null(.state$handle)) return(invisible(FALSE))
  try(.state$bridge$stop(.state$handle), silent = TRUE)
  .state$handle <- NULL
  .state$app_id <- NULL
  invisible(TRUE)
}

# A view name no other call of this process used (never from R's random numbers, which the
# user's set.seed() governs).
fresh_view_name <- function(prefix) {
  .state$views <- (if (is.null(.state$views)) 0L else .state$views) + 1L
  sprintf("%s_%d_%d", prefix, Sys.getpid(), .state$views)
}

# The bridge and the JVM SparkSession of the shared session, opened when needed.
spark_parts <- function() {
  srs_session()
  session_parts()
}

# The bridge and the JVM SparkSession of the session open now, as it is.
session_parts <- function() {
  list(bridge = .state$bridge, session = .state$bridge$jsession(.state$handle), handle = .state$handle)
}

# The hosts of the session's executors, one per executor (the driver not counted).
executor_hosts <- function(s = spark_parts()) {
  b <- s$bridge
  context <- b$jcall(s$session, "sparkContext")
  hosts <- b$strings(b$jstatic(s$handle, "org.sparkrstudioshiny.srspark.ClusterInfo", "executorHosts", context))
  driver <- b$scalar(b$jcall(b$jcall(context, "getConf"), "get", "spark.driver.host"))
  at <- match(driver, hosts)
  if (is.na(at)) hosts else hosts[-at]
}

# Spark's JVM DataFrame for a query.
spark_sql <- function(query) {
  s <- spark_parts()
  with_spark_errors(s$bridge$jcall(s$session, "sql", query))
}

# The value of `expr`, a call into Spark's JVM; its error, if any, stopped with the message a user
# can act on (spark_error_message()), followed by the whole JVM trace at
# options(srspark.verbose = TRUE).
with_spark_errors <- function(expr) {
  tryCatch(expr, error = function(e) {
    if (isTRUE(getOption("srspark.verbose", FALSE))) {
      trace <- if (is.null(.state$bridge)) conditionMessage(e) else .state$bridge$trace(e)
      stop(spark_error_message(e), "\n", trace, call. = FALSE)
    }
    stop(spark_error_message(e), call. = FALSE)
  })
}

# Spark's exceptions arrive wrapped (py4j, SparkR); keep the part a user can act on.
spark_error_message <- function(error) {
  text <- conditionMessage(error)
  found <- regmatches(text, regexpr("\\[[A-Z_]+(\\.[A-Z_]+)?\\][^\n]*", text))
  if (length(found) == 1L) return(found)
  lines <- strsplit(text, "\n", fixed = TRUE)[[1]]
  useful <- grep("Exception|Error", lines, value = TRUE)
  if (length(useful) > 0L) sub("^.*?(Exception|Error): ", "", useful[[1]]) else lines[[1]]
}

# The address of a page of the master's web UI (SPARK_MASTER_WEBUI_PORT, default 8080).
master_page_address <- function(path) {
  host <- sub("^spark://([^:]+):[0-9]+$", "\\1", Sys.getenv("SPARK_MASTER_URL", "spark://master:7077"))
  sprintf("http://%s:%s/%s", host, Sys.getenv("SPARK_MASTER_WEBUI_PORT", "8080"), path)
}

# The master's /json/ document.
master_state <- function(timeout = 5) {
  address <- master_page_address("json/")
  old <- options(timeout = timeout)
  on.exit(options(old), add = TRUE)
  tryCatch(
    jsonlite::fromJSON(address, simplifyVector = FALSE),
    error = function(e) stop("the Spark master does not answer at ", address, " (", conditionMessage(e), ")", call. = FALSE)
  )
}

# Whether an application the master lists as WAITING asks for executors it has not got. The
# master lists an application that asks for none (a session opened ahead of its first job, or one
# idle past the timeout) as WAITING too; only its page on the master tells them apart, by the
# executor limit (what its driver asks for, "Unlimited" without dynamic allocation) next to the
# executors granted. One that cannot be told (its page unread) counts as asking.
wants_executors <- function(app_id, timeout = 2) {
  if (!grepl("^app-[0-9]+-[0-9]+$", app_id)) {
    stop("not an application id: ", deparse(app_id), call. = FALSE)
  }
  page <- tryCatch(
    {
      old <- options(timeout = timeout)
      on.exit(options(old), add = TRUE)
      readLines(master_page_address(paste0("app/?appId=", app_id)), warn = FALSE)
    },
    error = function(e) NULL
  )
  executors_asked_beyond_granted(page)
}

# From the lines of a master's application page: TRUE when its executor limit is above the
# executors granted (or "Unlimited"), FALSE when not, TRUE when the page shows neither.
executors_asked_beyond_granted <- function(page) {
  text <- paste(page, collapse = " ")
  pattern <- paste0(
    "Executor Limit:[[:space:]]*</strong>[[:space:]]*(Unlimited|[0-9]+)",
    "[[:space:]]*\\(([0-9]+) granted\\)"
  )
  found <- regmatches(text, regexec(pattern, text))[[1]]
  if (length(found) != 3L) return(TRUE)
  found[[2]] == "Unlimited" || as.numeric(found[[2]]) > as.numeric(found[[3]])
}

#' The number of workers the master lists as ALIVE
#'
#' Apps check this first: a job on a cluster without workers would wait for resources forever.
#'
#' @param timeout Seconds to wait for the master's answer.
#' @return A whole number. An error when the master does not answer in time.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' srs_alive_workers()
srs_alive_workers <- function(timeout = 5) {
  as.integer(master_state(timeout)$aliveworkers)
}

#' The cluster as this R process's session sees it
#'
#' @return A list: `backend`, `spark_version`, `master`, `app_id`, `app_name`, `driver_host`,
#'   `executors` (how many, the driver not counted) and `executor_hosts`.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' str(srs_cluster_info())
srs_cluster_info <- function() {
  s <- spark_parts()
  b <- s$bridge
  context <- b$jcall(s$session, "sparkContext")
  executors <- executor_hosts(s)
  list(
    backend = b$name,
    spark_version = b$scalar(b$jcall(context, "version")),
    master = b$scalar(b$jcall(context, "master")),
    app_id = b$scalar(b$jcall(context, "applicationId")),
    app_name = b$scalar(b$jcall(context, "appName")),
    driver_host = b$scalar(b$jcall(b$jcall(context, "getConf"), "get", "spark.driver.host")),
    executors = length(executors),
    executor_hosts = sort(unique(executors))
  )
}
