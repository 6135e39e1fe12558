# One shared Spark session per R process, on whichever backend this image has.

.state <- new.env(parent = emptyenv())

sparkr_lib <- function() {
  file.path(Sys.getenv("SPARK_HOME", "/opt/spark"), "R", "lib")
}

sparkr_available <- function() {
  lib <- sparkr_lib()
  if (dir.exists(file.path(lib, "SparkR")) && !(lib %in% .libPaths())) .libPaths(c(lib, .libPaths()))
  requireNamespace("SparkR", quietly = TRUE)
}

#' The backend of this R process: "sparkr" when SparkR is installed (images built from the
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

#' Whether this process holds a live Spark session.
srs_session_active <- function() {
  !is.null(.state$session) && isTRUE(tryCatch(.state$backend$alive(.state$session), error = function(e) FALSE))
}

#' The Spark session of this R process, opened on first use against SPARK_MASTER_URL and shared
#' by every caller afterwards (every browser tab of a Shiny app, every chunk in RStudio). It is
#' never stopped when a caller goes away; a session that died (master restarted) is reopened.
srs_session <- function(app_name = Sys.getenv("SRS_APP_NAME", "srspark"), master = Sys.getenv("SPARK_MASTER_URL", "spark://master:7077")) {
  if (srs_session_active()) return(invisible(.state$session))
  if (!grepl("^spark://[A-Za-z0-9._-]+:[0-9]+$", master) && !grepl("^local(\\[[0-9*]+\\])?$", master)) {
    stop("SPARK_MASTER_URL must look like spark://HOST:PORT, got \"", master, "\"", call. = FALSE)
  }
  backend <- switch(srs_backend(), sparkr = backend_sparkr(), pyspark = backend_pyspark())
  session <- tryCatch(
    backend$open(app_name, master),
    error = function(e) stop("could not open a Spark session against ", master, ": ", conditionMessage(e), call. = FALSE)
  )
  .state$backend <- backend
  .state$session <- session
  invisible(session)
}

current_backend <- function() {
  srs_session()
  .state$backend
}

#' Runs Spark SQL and collects the result as an R data.frame.
srs_sql <- function(query) {
  stopifnot(is.character(query), length(query) == 1L)
  current_backend()$sql(.state$session, query)
}

#' Describes the cluster as this session sees it: backend, Spark version, master, application,
#' and the executors (the driver not counted) with their hosts.
srs_cluster_info <- function() {
  backend <- current_backend()
  info <- backend$info(.state$session)
  info$backend <- backend$name
  info
}

#' The number of ALIVE workers the master reports on its web UI's /json/ (port
#' SPARK_MASTER_WEBUI_PORT, default 8080), within `timeout` seconds. Stops with a clear message
#' when the master does not answer: apps check this first, since a job on a cluster without
#' workers would wait for resources forever.
srs_alive_workers <- function(timeout = 5) {
  host <- sub("^spark://([^:]+):[0-9]+$", "\\1", Sys.getenv("SPARK_MASTER_URL", "spark://master:7077"))
  address <- sprintf("http://%s:%s/json/", host, Sys.getenv("SPARK_MASTER_WEBUI_PORT", "8080"))
  old <- options(timeout = timeout)
  on.exit(options(old), add = TRUE)
  state <- tryCatch(
    jsonlite::fromJSON(address, simplifyVector = FALSE),
    error = function(e) stop("the Spark master does not answer at ", address, " (", conditionMessage(e), ")", call. = FALSE)
  )
  as.integer(state$aliveworkers)
}
