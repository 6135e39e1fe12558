# An app's warm-up: work run once ahead of its first user, so that its executors are started and
# have run its kind of work (their JVMs warm, Spark's code for it compiled) when the user comes.
# It runs only while the app is alone on the master, and yields the cluster as soon as another
# application registers: its jobs are cancelled (WarmUpGuard, in the driver), since nothing else
# gives cores back while a job runs. What it leaves, options(srspark.keep_executors) keeps.

# The job group of the warm-up's jobs, which WarmUpGuard cancels.
WARM_UP_GROUP <- "srspark-warm-up"

# Seconds between two looks for a cluster the warm-up may use.
WARM_UP_RETRY_SECONDS <- 5

#' Warm an app up before its first user
#'
#' Runs `work` once from R's event loop (a Shiny app's, once it serves), at the first moment this
#' process's Spark application is alone on the master with a core free: its executors start and
#' run the app's own kind of work, and an app with `options(srspark.keep_executors)` keeps them
#' while it idles, so its first user does not wait for new executor JVMs. The warm-up yields: its
#' jobs are cancelled as soon as the master lists another application, or after `max_seconds`;
#' it is tried again the next time the app is alone, `attempts` times in all. An error in `work`
#' ends the warm-up with a message; it never reaches the app.
#'
#' @param work A function of no arguments: the app's work at a small size (its results are
#'   dropped).
#' @param max_seconds Seconds one attempt may take before its jobs are cancelled (1 to 3600).
#' @param attempts How many times to try when another application interrupts (1 to 10).
#' @return `NULL`, invisibly; the warm-up runs later.
#' @seealso [srs_session()]; `options(srspark.keep_executors)` in the package's help.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' options(srspark.keep_executors = Inf)
#' srs_warm_up(function() DBI::dbGetQuery(srs_connect(), "SELECT count(*) FROM range(1000)"))
srs_warm_up <- function(work, max_seconds = 120, attempts = 3) {
  if (!is.function(work) || length(formals(work)) > 0L) {
    got <- paste(deparse(work, nlines = 1L), collapse = "")
    stop("work must be a function of no arguments, got ", got, call. = FALSE)
  }
  check_whole(max_seconds, "max_seconds", 1, 3600)
  check_whole(attempts, "attempts", 1, 10)
  left <- as.integer(attempts)
  attempt <- function() {
    outcome <- tryCatch(
      warm_up_once(work, max_seconds, first = left == attempts),
      error = function(e) {
        list(done = TRUE, message = paste0("srspark: the warm-up failed: ", conditionMessage(e)))
      }
    )
    if (!is.null(outcome$message)) message(outcome$message)
    if (isTRUE(outcome$done)) return(NULL)
    if (isTRUE(outcome$yielded)) left <<- left - 1L
    if (left < 1L) NULL else WARM_UP_RETRY_SECONDS
  }
  repeat_from_event_loop(attempt, WARM_UP_RETRY_SECONDS, "srspark warm-up")
  invisible()
}

# One attempt (`first`: none has run yet): list(done) when it ran or should not be tried again,
# list(yielded) when another application interrupted it, list() when the cluster is not free yet;
# `message` says what happened, when something did.
warm_up_once <- function(work, max_seconds, first) {
  s <- spark_parts()
  if (!startsWith(.state$master, "spark://")) return(list(done = TRUE))
  # Executors there before any attempt: a user's work came first (a page reopened as the head
  # restarted), and warmed them.
  if (first && length(executor_hosts(s)) > 0L) {
    return(list(done = TRUE, message = "srspark: no warm-up: the app already holds executors"))
  }
  state <- tryCatch(master_state(timeout = 2), error = function(e) NULL)
  if (!alone_with_a_free_core(state)) return(list())
  ran <- with_warm_up_guard(
    work, master_page_address("json/"), .state$app_id, max_seconds,
    "the app's warm-up, ahead of its first user"
  )
  seconds <- round(ran$seconds, 1)
  if (nzchar(ran$reason)) {
    # Past its deadline it is not tried again; given way to another application, it is.
    late <- startsWith(ran$reason, "its deadline")
    said <- paste0("srspark: the warm-up gave way after ", seconds, " s: ", ran$reason)
    return(list(yielded = !late, done = late, message = said))
  }
  if (!is.null(ran$failure)) {
    failed <- paste0("srspark: the warm-up failed after ", seconds, " s: ", ran$failure)
    return(list(done = TRUE, message = failed))
  }
  list(done = TRUE, message = paste0("srspark: warmed up in ", seconds, " s"))
}

# Runs `work` in the warm-up's job group (described as `why`) under a WarmUpGuard that reads the
# master's state at `master_json`, takes `own_app` for this application and cancels the group's
# jobs after `max_seconds`. Returns the seconds it took, the message of the error `work` ended
# with (NULL for none) and the guard's reason for cancelling ("" when it did not).
with_warm_up_guard <- function(work, master_json, own_app, max_seconds, why) {
  s <- spark_parts()
  b <- s$bridge
  context <- b$jcall(s$session, "sparkContext")
  guard <- b$jstatic(
    s$handle, "org.sparkrstudioshiny.srspark.WarmUpGuard", "start",
    context, WARM_UP_GROUP, master_json, own_app, as.integer(max_seconds)
  )
  b$jcall(context, "setJobGroup", WARM_UP_GROUP, why, FALSE)
  started <- Sys.time()
  failure <- tryCatch(
    {
      work()
      NULL
    },
    error = function(e) conditionMessage(e),
    finally = {
      b$jcall(context, "clearJobGroup")
      b$jcall(guard, "close")
    }
  )
  list(
    seconds = as.numeric(difftime(Sys.time(), started, units = "secs")),
    failure = failure, reason = b$scalar(b$jcall(guard, "reason"))
  )
}

# Whether the master's state (its /json/ document) shows it ALIVE, with a core free, and this
# session's application the only one it runs.
alone_with_a_free_core <- function(state) {
  if (is.null(state) || !identical(state$status, "ALIVE")) return(FALSE)
  free <- free_cores(alive_workers(state))
  ids <- vapply(state$activeapps, function(app) as.character(app$id), character(1))
  free >= 1 && identical(ids, .state$app_id)
}
