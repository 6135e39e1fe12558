# Results of queries: dbSendQuery() starts the query (Spark plans it and runs its shuffles in the
# background while R goes on: send two queries, or a query and a model fit, and they overlap; a
# result in one partition is read there too, into the driver), dbFetch() waits for it, runs its
# last stage if it has not run and hands the rows over column by column (all at once in
# parallel, or n rows at a time, one partition after another). No row reaches R's process
# before dbFetch() asks for it.

setClass("SparkSQLResult", contains = "DBIResult", slots = c(statement = "character", state = "environment"))

new_result <- function(conn, statement, query = TRUE) {
  check_connection(conn)
  if (!is.character(statement) || length(statement) != 1L || is.na(statement)) stop("a statement must be one string", call. = FALSE)
  state <- new.env(parent = emptyenv())
  state$valid <- TRUE
  jdf <- spark_sql(statement)
  # Commands (CREATE, DROP, INSERT, CACHE ...) run as soon as Spark parses them; their output, if
  # any, is read like a query's.
  state$reader <- spark_reader(jdf)
  if (query) state$reader$start()
  state$query <- query
  new("SparkSQLResult", statement = statement, state = state)
}

check_result <- function(res) {
  if (!isTRUE(res@state$valid)) stop("this result was cleared", call. = FALSE)
  invisible(res)
}

setMethod("dbSendQuery", c("Spark SQL", "character"), function(conn, statement, ...) new_result(conn, statement))

setMethod("dbSendStatement", c("Spark SQL", "character"), function(conn, statement, ...) new_result(conn, statement, query = FALSE))

setMethod("dbExecute", c("Spark SQL", "character"), function(conn, statement, ...) {
  res <- new_result(conn, statement, query = FALSE)
  on.exit(dbClearResult(res), add = TRUE)
  # Spark does not report how many rows a statement touched.
  0L
})

setMethod("dbGetQuery", c("Spark SQL", "character"), function(conn, statement, ..., n = -1L) {
  res <- new_result(conn, statement)
  on.exit(dbClearResult(res), add = TRUE)
  dbFetch(res, n = n)
})

setMethod("dbFetch", "SparkSQLResult", function(res, n = -1, ...) {
  check_result(res)
  if (!is.numeric(n) || length(n) != 1L || is.na(n) || (n < 0 && !is.infinite(n) && n != -1) || (n != round(n) && !is.infinite(n))) {
    stop("n must be a whole number of rows, -1 or Inf (all), got ", paste(deparse(n), collapse = ""), call. = FALSE)
  }
  count <- if (is.infinite(n) || n < 0) -1L else as.integer(min(n, .Machine$integer.max))
  res@state$reader$fetch(count)
})

setMethod("dbHasCompleted", "SparkSQLResult", function(res, ...) {
  check_result(res)
  res@state$reader$completed()
})

setMethod("dbGetRowCount", "SparkSQLResult", function(res, ...) {
  check_result(res)
  as.numeric(res@state$reader$fetched())
})

setMethod("dbGetRowsAffected", "SparkSQLResult", function(res, ...) {
  check_result(res)
  if (res@state$query) NA_integer_ else 0L
})

setMethod("dbGetStatement", "SparkSQLResult", function(res, ...) {
  check_result(res)
  res@statement
})

setMethod("dbColumnInfo", "SparkSQLResult", function(res, ...) {
  check_result(res)
  data.frame(name = res@state$reader$names, type = res@state$reader$codes, stringsAsFactors = FALSE)
})

setMethod("dbIsValid", "SparkSQLResult", function(dbObj, ...) isTRUE(dbObj@state$valid))

setMethod("dbClearResult", "SparkSQLResult", function(res, ...) {
  if (!isTRUE(res@state$valid)) warning("this result was already cleared", call. = FALSE)
  res@state$valid <- FALSE
  res@state$reader <- NULL
  invisible(TRUE)
})
