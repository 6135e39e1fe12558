# Results of queries and statements. dbSendQuery() starts the query: Spark plans it and runs its
# shuffles in the background while R goes on (send two queries, or a query and a model fit, and
# they overlap; a result in one partition is read there too, into the driver). dbFetch() waits
# for it, runs its last stage if it has not run and hands the rows over column by column (all at
# once, or n rows at a time, one partition after another). No row reaches R's process before
# dbFetch() asks for it.
#
# Parameters: `?` in the SQL, bound by `params =` or dbBind() through Spark's own parameterized
# SQL (Spark parses them; nothing is pasted into the text). A statement with parameters runs once
# per row of them; a query's results for each row come one after another.

#' DBI methods of a Spark SQL result
#'
#' `dbSendQuery()` starts the query in the background; `dbFetch()` hands the rows over column by
#' column, all at once or `n` at a time. `dbBind()` binds the positional `?` parameters (a list,
#' one vector per marker; several values run the statement once each).
#'
#' @param res,dbObj A result.
#' @param params A list of parameter values.
#' @param n How many rows to fetch (-1 or `Inf`: all).
#' @param ... Unused.
#' @name SparkSQLResult-class
#' @exportClass SparkSQLResult
setClass("SparkSQLResult", contains = "DBIResult", slots = c(statement = "character", state = "environment"))

new_result <- function(conn, statement, query = TRUE, params = NULL) {
  check_connection(conn)
  if (!is.character(statement) || length(statement) != 1L || is.na(statement)) {
    stop("a statement must be one string, got ", paste(deparse(statement), collapse = ""), call. = FALSE)
  }
  state <- new.env(parent = emptyenv())
  state$valid <- TRUE
  state$query <- query
  state$bigint <- conn@state$bigint
  state$statement <- statement
  state$conn_state <- conn@state
  res <- new("SparkSQLResult", statement = statement, state = state)
  track_result(conn@state, state)
  state$has_params <- TRUE
  if (!is.null(params)) return(bind_result(res, params))
  # Commands (CREATE, DROP, CACHE ...) run as soon as Spark parses them. A statement with
  # parameters waits for them (dbBind).
  jdf <- tryCatch(spark_sql(statement), error = function(e) {
    if (grepl("UNBOUND_SQL_PARAMETER", conditionMessage(e), fixed = TRUE)) NULL else stop(e)
  })
  if (!is.null(jdf)) {
    state$has_params <- FALSE
    attach_rows(res, jdf)
  }
  res
}

# The rows of a result: a reader over `jdf` (started at once for a query).
attach_rows <- function(res, jdf) {
  state <- res@state
  state$reader <- spark_reader(jdf, state$bigint)
  if (state$query) state$reader$start()
  invisible(res)
}

# A connection keeps its open results, to warn about those left open when it is closed.
track_result <- function(conn_state, state) {
  if (is.null(conn_state$results)) conn_state$results <- new.env(parent = emptyenv())
  conn_state$count <- (if (is.null(conn_state$count)) 0L else conn_state$count) + 1L
  state$key <- as.character(conn_state$count)
  assign(state$key, state, envir = conn_state$results)
}

check_result <- function(res) {
  if (!isTRUE(res@state$valid)) stop("this result was cleared", call. = FALSE)
  invisible(res)
}

check_bound <- function(res) {
  if (is.null(res@state$reader)) {
    stop("the statement has parameters (?) that are not bound yet: call dbBind(res, params) first", call. = FALSE)
  }
  invisible(res)
}

#' @rdname SparkSQLResult-class
#' @usage NULL
#' @export
setMethod("dbSendQuery", c("Spark SQL", "character"), function(conn, statement, params = NULL, ...) {
  new_result(conn, statement, params = params)
})

#' @rdname SparkSQLResult-class
#' @usage NULL
#' @export
setMethod("dbSendStatement", c("Spark SQL", "character"), function(conn, statement, params = NULL, ...) {
  new_result(conn, statement, query = FALSE, params = params)
})

#' @rdname SparkSQLResult-class
#' @usage NULL
#' @export
setMethod("dbExecute", c("Spark SQL", "character"), function(conn, statement, params = NULL, ...) {
  res <- new_result(conn, statement, query = FALSE, params = params)
  on.exit(dbClearResult(res), add = TRUE)
  dbGetRowsAffected(res)
})

#' @rdname SparkSQLResult-class
#' @usage NULL
#' @export
setMethod("dbGetQuery", c("Spark SQL", "character"), function(conn, statement, ..., params = NULL, n = -1L) {
  res <- new_result(conn, statement, params = params)
  on.exit(dbClearResult(res), add = TRUE)
  dbFetch(res, n = n)
})

# Binds one set of parameters, or several (a row each): a list of equally long vectors, unnamed
# (Spark's positional `?` markers), of the types dbWriteTable() takes.
bind_result <- function(res, params) {
  if (!isTRUE(res@state$has_params)) stop("the statement has no parameters (?) to bind", call. = FALSE)
  if (!is.list(params) && !is.atomic(params)) {
    stop("params must be a list of values, one per ? in the statement, got ", class(params)[[1]], call. = FALSE)
  }
  params <- if (is.atomic(params)) as.list(params) else unclass(params)
  factors <- vapply(params, is.factor, logical(1))
  if (any(factors)) {
    warning("factor parameters are bound as their labels (text)", call. = FALSE)
    params[factors] <- lapply(params[factors], as.character)
  }
  if (!is.null(names(params)) && any(names(params) != "")) {
    stop("Spark SQL's parameters here are positional (?): pass an unnamed list, got names ",
      paste(names(params), collapse = ", "),
      call. = FALSE
    )
  }
  lengths <- vapply(params, length, integer(1))
  if (length(unique(lengths)) > 1L) {
    stop("every parameter needs the same number of values (one per run), got ", paste(lengths, collapse = ", "), call. = FALSE)
  }
  state <- res@state
  rows <- if (length(lengths) == 0L) 1L else lengths[[1]]
  s <- spark_parts()
  b <- s$bridge
  writer <- b$jnew(s$handle, "org.sparkrstudioshiny.srspark.ColumnarWriter", s$session)
  path <- handover_file()
  on.exit(unlink(path))
  for (i in seq_along(params)) {
    add_column(writer, paste0("p", i), encode_column(params[[i]], paste0("parameter ", i)), "", path)
  }
  jdf <- with_spark_errors(b$jcall(writer, "sql", state$statement, as.integer(rows), state$query))
  attach_rows(res, jdf)
  state$bound <- TRUE
  invisible(res)
}

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbBind", "SparkSQLResult", function(res, params, ...) {
  check_result(res)
  bind_result(res, params)
})

FETCH_BATCH <- 10000L

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbFetch", "SparkSQLResult", function(res, n = -1, ...) {
  check_result(res)
  # n = NA: as many rows as suits the driver (DBI's spec), here a batch of FETCH_BATCH.
  if (identical(length(n), 1L) && is.na(n) && (is.logical(n) || is.numeric(n))) n <- FETCH_BATCH
  whole <- is.numeric(n) && length(n) == 1L && !is.na(n) && (is.infinite(n) || n == round(n))
  if (!whole || (n < 0 && n != -1 && !is.infinite(n))) {
    stop("n must be a whole number of rows, -1 or Inf (all), got ", paste(deparse(n), collapse = ""),
      call. = FALSE
    )
  }
  check_bound(res)
  if (!res@state$query) {
    warning("dbFetch() of a statement (dbSendStatement): statements return no rows", call. = FALSE)
    return(res@state$reader$fetch(0L))
  }
  count <- if (is.infinite(n) || n < 0) -1L else as.integer(min(n, .Machine$integer.max))
  res@state$reader$fetch(count)
})

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbHasCompleted", "SparkSQLResult", function(res, ...) {
  check_result(res)
  if (is.null(res@state$reader)) return(FALSE)
  if (!res@state$query) return(TRUE)
  res@state$reader$completed()
})

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbGetRowCount", "SparkSQLResult", function(res, ...) {
  check_result(res)
  if (is.null(res@state$reader) || !res@state$query) return(0)
  as.numeric(res@state$reader$fetched())
})

# Spark does not report how many rows a statement touched (NA); a query touches none.
#' @rdname SparkSQLResult-class
#' @export
setMethod("dbGetRowsAffected", "SparkSQLResult", function(res, ...) {
  check_result(res)
  if (res@state$query) 0L else NA_integer_
})

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbGetStatement", "SparkSQLResult", function(res, ...) {
  check_result(res)
  res@statement
})

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbColumnInfo", "SparkSQLResult", function(res, ...) {
  check_result(res)
  check_bound(res)
  data.frame(name = res@state$reader$names, type = res@state$reader$codes, stringsAsFactors = FALSE)
})

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbIsValid", "SparkSQLResult", function(dbObj, ...) isTRUE(dbObj@state$valid))

#' @rdname SparkSQLResult-class
#' @export
setMethod("dbClearResult", "SparkSQLResult", function(res, ...) {
  if (!isTRUE(res@state$valid)) {
    warning("this result was already cleared", call. = FALSE)
    return(invisible(TRUE))
  }
  res@state$valid <- FALSE
  res@state$reader <- NULL
  results <- res@state$conn_state$results
  key <- res@state$key
  if (!is.null(results) && !is.null(key) && exists(key, envir = results, inherits = FALSE)) rm(list = key, envir = results)
  invisible(TRUE)
})
