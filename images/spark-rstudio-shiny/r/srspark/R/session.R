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

#' The bridge of this R process: "sparkr" when SparkR is installed (images built from the
#' Apache tarball), else "pyspark" (PySpark through reticulate). SRS_R_BACKEND overrides it.
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

# The cores and the number of the cluster's ALIVE workers, as the master reports them (NA if unknown).
master_capacity <- function() {
  state <- tryCatch(master_state(timeout = 2), error = function(e) NULL)
  whole <- function(x) if (is.numeric(x) && length(x) == 1L && x > 0) as.integer(x) else NA_integer_
  list(cores = whole(state$cores), workers = whole(state$aliveworkers))
}

# At least `n` partitions, rounded up to a multiple of the cluster's cores, so that no core
# idles through the last wave of tasks.
cluster_partitions <- function(n) {
  cores <- .state$cores
  n <- max(1L, as.integer(n))
  if (is.null(cores) || is.na(cores)) return(n)
  as.integer(ceiling(n / cores) * cores)
}

# How many executors an interactive app keeps while idle: options(srspark.keep_executors = n)
# set before the session opens (the Shiny demo keeps 1, so the first input change after a pause
# does not wait for new executor JVMs). Never all the workers: with fewer than 2 ALIVE workers
# none is kept, and at most all workers but one, so an idle app never starves another driver.
keep_executors <- function(workers) {
  wanted <- getOption("srspark.keep_executors", 0L)
  if (!is.numeric(wanted) || length(wanted) != 1L || is.na(wanted) || wanted < 0 || wanted != round(wanted)) {
    stop("options(srspark.keep_executors) must be a whole number of 0 or more, got ", paste(deparse(wanted), collapse = ""), call. = FALSE)
  }
  if (is.na(workers) || workers < 2L) return(0L)
  as.integer(min(wanted, workers - 1L))
}

# Settings every session of this package gets: UTC, so dates and times mean the same in R and
# Spark whatever the machine's zone; shuffles sized to the cluster instead of Spark's 200; the
# executors kept while idle (dynamic allocation gives the others back after 30 s).
session_conf <- function(cores, keep = 0L) {
  c(
    list(
      spark.sql.session.timeZone = "UTC",
      spark.sql.shuffle.partitions = as.character(if (is.na(cores)) 8L else max(2L, 2L * cores))
    ),
    if (keep > 0L) list(spark.dynamicAllocation.minExecutors = as.character(keep))
  )
}

#' Whether this process holds a live Spark session.
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
  !(.state$app_id %in% vapply(state$activeapps, function(app) app$id, character(1)))
}

#' The Spark session of this R process, opened on first use against SPARK_MASTER_URL and shared
#' by every caller afterwards (every browser tab of a Shiny app, every cell of a notebook). It is
#' never stopped when a caller goes away; a session that died, or whose application the master
#' no longer knows, is reopened (its temporary views are then gone).
srs_session <- function(app_name = Sys.getenv("SRS_APP_NAME", "srspark")) {
  if (srs_session_active()) {
    if (!startsWith(.state$master, "spark://") || !application_lost()) return(invisible(.state$handle))
    message("srspark: the master no longer knows application ", .state$app_id, "; opening a new Spark session")
    try(.state$bridge$stop(.state$handle), silent = TRUE)
    .state$handle <- NULL
  }
  master <- master_url()
  bridge <- switch(srs_backend(), sparkr = bridge_sparkr(), pyspark = bridge_pyspark())
  capacity <- if (startsWith(master, "spark://")) master_capacity() else list(cores = NA_integer_, workers = NA_integer_)
  cores <- capacity$cores
  handle <- tryCatch(
    bridge$open(app_name, master, session_conf(cores, keep_executors(capacity$workers))),
    error = function(e) stop("could not open a Spark session against ", master, ": ", conditionMessage(e), call. = FALSE)
  )
  .state$bridge <- bridge
  .state$handle <- handle
  .state$master <- master
  .state$app_id <- bridge$scalar(bridge$jcall(bridge$jcall(bridge$jsession(handle), "sparkContext"), "applicationId"))
  .state$checked_at <- Sys.time()
  .state$cores <- if (is.na(cores)) bridge$scalar(bridge$jcall(bridge$jcall(bridge$jsession(handle), "sparkContext"), "defaultParallelism")) else cores
  invisible(handle)
}

# A view name no other call of this process used (never from R's random numbers, which the
# user's set.seed() governs).
fresh_view_name <- function(prefix) {
  .state$views <- (if (is.null(.state$views)) 0L else .state$views) + 1L
  sprintf("%s_%d_%d", prefix, Sys.getpid(), .state$views)
}

# The bridge and the JVM SparkSession of the shared session, opened when needed.
spark <- function() {
  srs_session()
  list(bridge = .state$bridge, session = .state$bridge$jsession(.state$handle), handle = .state$handle)
}

# Spark's JVM DataFrame for a query.
spark_sql <- function(query) {
  s <- spark()
  tryCatch(s$bridge$jcall(s$session, "sql", query), error = function(e) stop(spark_error_message(e), call. = FALSE))
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

# The master's /json/ document (its web UI, SPARK_MASTER_WEBUI_PORT, default 8080).
master_state <- function(timeout = 5) {
  host <- sub("^spark://([^:]+):[0-9]+$", "\\1", Sys.getenv("SPARK_MASTER_URL", "spark://master:7077"))
  address <- sprintf("http://%s:%s/json/", host, Sys.getenv("SPARK_MASTER_WEBUI_PORT", "8080"))
  old <- options(timeout = timeout)
  on.exit(options(old), add = TRUE)
  tryCatch(
    jsonlite::fromJSON(address, simplifyVector = FALSE),
    error = function(e) stop("the Spark master does not answer at ", address, " (", conditionMessage(e), ")", call. = FALSE)
  )
}

#' The number of ALIVE workers the master reports, within `timeout` seconds. Stops with a clear
#' message when the master does not answer: apps check this first, since a job on a cluster
#' without workers would wait for resources forever.
srs_alive_workers <- function(timeout = 5) {
  as.integer(master_state(timeout)$aliveworkers)
}

#' Describes the cluster as this session sees it: bridge, Spark version, master, application,
#' and the executors (the driver not counted) with their hosts.
srs_cluster_info <- function() {
  s <- spark()
  b <- s$bridge
  context <- b$jcall(s$session, "sparkContext")
  conf <- b$jcall(context, "getConf")
  hosts <- b$strings(b$jstatic(s$handle, "org.sparkrstudioshiny.srspark.ClusterInfo", "executorHosts", context))
  driver <- b$scalar(b$jcall(conf, "get", "spark.driver.host"))
  at <- match(driver, hosts)
  executors <- if (is.na(at)) hosts else hosts[-at]
  list(
    backend = b$name,
    spark_version = b$scalar(b$jcall(context, "version")),
    master = b$scalar(b$jcall(context, "master")),
    app_id = b$scalar(b$jcall(context, "applicationId")),
    app_name = b$scalar(b$jcall(context, "appName")),
    driver_host = driver,
    executors = length(executors),
    executor_hosts = sort(unique(executors))
  )
}
