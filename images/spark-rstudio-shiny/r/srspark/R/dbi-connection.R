# A DBI connection on the process's shared Spark session. Its class is named "Spark SQL", the
# name dbplyr (and the odbc package) use for Spark: dbplyr then translates dplyr verbs into Spark
# SQL by itself. Tables are Spark temporary views: they live as long as the session.

setClass("Spark SQL", contains = "DBIConnection", slots = c(state = "environment"))

#' A DBI connection to the cluster, on this R process's shared Spark session (opened on first
#' use). Works with DBI (dbGetQuery, dbWriteTable, ...) and with dplyr through dbplyr (tbl,
#' copy_to, collect). dbDisconnect() ends this handle, not the shared session.
srs_connect <- function() {
  srs_session()
  state <- new.env(parent = emptyenv())
  state$valid <- TRUE
  new("Spark SQL", state = state)
}

check_connection <- function(conn) {
  if (!isTRUE(conn@state$valid)) stop("this Spark SQL connection was disconnected; open one with srs_connect()", call. = FALSE)
  invisible(conn)
}

IDENTIFIER <- "^[A-Za-z_][A-Za-z0-9_]{0,127}$"

# A table name as Spark's catalog wants it: one plain identifier (temporary views have no schema).
table_name <- function(name) {
  if (methods::is(name, "Id")) {
    parts <- unname(name@name)
    name <- parts[[length(parts)]]
  } else if (methods::is(name, "SQL")) {
    name <- gsub("``", "`", sub("^`(.*)`$", "\\1", as.character(name)))
  }
  if (!is.character(name) || length(name) != 1L || is.na(name) || !grepl(IDENTIFIER, name)) {
    stop("a table name must be a letter or _ followed by letters, digits or _ (Spark temporary views), got ", paste(deparse(name), collapse = ""), call. = FALSE)
  }
  name
}

quote_identifier <- function(x) paste0("`", gsub("`", "``", x, fixed = TRUE), "`")

# The rows of the query `from` with `constants` (named SQL literals, e.g. c(s = "42L")) as more
# columns. Spark writes literals into the code it generates, so a query that changes only its
# numbers would be new code for the driver and every executor to compile (and warm up) again.
# Here they are the fields of a one-struct array that inline() spreads over every row: an array
# is handed to the generated code as an object, so the code stays the same from one set of
# numbers to the next, and the constants are columns from there on. A broadcast one-row VALUES
# table, used until 2026-11-26, did the same but cost a Spark job of its own per query (an
# aggregate of 10^6 rows: 0.24 s against 0.34 s). Not a scalar subquery of them either: its value
# enters the hash of the expressions around it, and with it the order in which Spark writes their
# shared parts, so some new numbers still meant new code.
with_constants <- function(from, constants) {
  sprintf(
    "SELECT * FROM (%s) srs_rows LATERAL VIEW inline(array(named_struct(%s))) srs_constants",
    from, paste(sprintf("'%s', %s", names(constants), constants), collapse = ", ")
  )
}

setMethod("show", "Spark SQL", function(object) {
  status <- if (isTRUE(object@state$valid)) paste0(.state$master, ", ", .state$bridge$name, " bridge") else "disconnected"
  cat("<Spark SQL> ", status, "\n", sep = "")
})

setMethod("dbIsValid", "Spark SQL", function(dbObj, ...) isTRUE(dbObj@state$valid) && srs_session_active())

setMethod("dbDisconnect", "Spark SQL", function(conn, ...) {
  conn@state$valid <- FALSE
  invisible(TRUE)
})

setMethod("dbGetInfo", "Spark SQL", function(dbObj, ...) {
  check_connection(dbObj)
  info <- srs_cluster_info()
  list(dbname = "spark", db.version = info$spark_version, host = info$master, username = Sys.info()[["user"]], app_id = info$app_id, backend = info$backend)
})

setMethod("dbDataType", "Spark SQL", function(dbObj, obj, ...) spark_type_of(obj))

# The Spark SQL type an R value is written as.
spark_type_of <- function(obj) {
  if (is.data.frame(obj)) return(vapply(obj, spark_type_of, character(1)))
  if (is.factor(obj) || is.character(obj)) return("STRING")
  if (inherits(obj, "POSIXct")) return("TIMESTAMP")
  if (inherits(obj, "Date")) return("DATE")
  if (is.logical(obj)) return("BOOLEAN")
  if (is.integer(obj)) return("INT")
  if (is.double(obj)) return("DOUBLE")
  stop("no Spark SQL type for R class ", paste(class(obj), collapse = "/"), call. = FALSE)
}

setMethod("dbQuoteIdentifier", c("Spark SQL", "character"), function(conn, x, ...) {
  if (anyNA(x)) stop("cannot quote a missing identifier", call. = FALSE)
  DBI::SQL(quote_identifier(x), names = names(x))
})

setMethod("dbQuoteIdentifier", c("Spark SQL", "SQL"), function(conn, x, ...) x)

setMethod("dbQuoteIdentifier", c("Spark SQL", "Id"), function(conn, x, ...) {
  DBI::SQL(paste(quote_identifier(unname(x@name)), collapse = "."))
})

# Spark SQL reads backslash escapes in string literals (spark.sql.parser.escapedStringLiterals is
# false by default), so both the backslash and the quote are escaped.
setMethod("dbQuoteString", c("Spark SQL", "character"), function(conn, x, ...) {
  quoted <- paste0("'", gsub("'", "\\\\'", gsub("\\", "\\\\", enc2utf8(x), fixed = TRUE)), "'")
  quoted[is.na(x)] <- "NULL"
  DBI::SQL(quoted, names = names(x))
})

setMethod("dbQuoteString", c("Spark SQL", "SQL"), function(conn, x, ...) x)

setMethod("dbListTables", "Spark SQL", function(conn, ...) {
  check_connection(conn)
  tables <- spark_reader(spark_sql("SHOW TABLES"))$fetch()
  sort(tables$tableName)
})

setMethod("dbExistsTable", c("Spark SQL", "ANY"), function(conn, name, ...) {
  check_connection(conn)
  s <- spark_parts()
  isTRUE(s$bridge$scalar(s$bridge$jcall(s$bridge$jcall(s$session, "catalog"), "tableExists", table_name(name))))
})

setMethod("dbListFields", c("Spark SQL", "ANY"), function(conn, name, ...) {
  check_connection(conn)
  name <- table_name(name)
  if (!dbExistsTable(conn, name)) stop("no table named ", name, call. = FALSE)
  names(query_schema(paste("SELECT * FROM", quote_identifier(name))))
})

setMethod("dbReadTable", c("Spark SQL", "ANY"), function(conn, name, ...) {
  check_connection(conn)
  name <- table_name(name)
  if (!dbExistsTable(conn, name)) stop("no table named ", name, call. = FALSE)
  dbGetQuery(conn, paste("SELECT * FROM", quote_identifier(name)))
})

setMethod("dbRemoveTable", c("Spark SQL", "ANY"), function(conn, name, ..., temporary = TRUE, fail_if_missing = TRUE) {
  check_connection(conn)
  name <- table_name(name)
  s <- spark_parts()
  dropped <- isTRUE(s$bridge$scalar(s$bridge$jcall(s$bridge$jcall(s$session, "catalog"), "dropTempView", name)))
  if (!dropped && fail_if_missing) stop("no table named ", name, call. = FALSE)
  invisible(TRUE)
})

#' Writes a data frame into Spark as a temporary view (the only kind of table here): column by
#' column, without text conversion. `overwrite` replaces an existing view, `append` adds rows to
#' it (same column names); without either an existing name is an error, as DBI specifies.
#' `field.types` (named Spark SQL types) casts columns after the copy.
setMethod("dbWriteTable", c("Spark SQL", "ANY", "data.frame"), function(conn, name, value, ..., row.names = FALSE, overwrite = FALSE, append = FALSE, field.types = NULL, temporary = TRUE) {
  check_limit("srspark.max_copy_columns", ncol(value), "the data frame has")
  check_connection(conn)
  name <- table_name(name)
  if (!isTRUE(temporary)) stop("Spark SQL here keeps tables as temporary views only (temporary = FALSE is not supported); write files with srs_write() to keep data", call. = FALSE)
  if (isTRUE(overwrite) && isTRUE(append)) stop("overwrite and append cannot both be TRUE", call. = FALSE)
  exists <- dbExistsTable(conn, name)
  if (exists && !isTRUE(overwrite) && !isTRUE(append)) stop("a table named ", name, " exists; use overwrite = TRUE to replace it or append = TRUE to add rows", call. = FALSE)
  value <- DBI::sqlRownamesToColumn(value, row.names)
  jdf <- frame_to_spark(value, field.types)
  s <- spark_parts()
  b <- s$bridge
  if (exists && isTRUE(append)) {
    existing <- names(query_schema(paste("SELECT * FROM", quote_identifier(name))))
    if (!setequal(existing, names(value))) {
      stop("append needs the columns of ", name, " (", paste(existing, collapse = ", "), "), got ", paste(names(value), collapse = ", "), call. = FALSE)
    }
    jdf <- b$jcall(b$jcall(s$session, "table", name), "unionByName", jdf)
  }
  b$jcall(jdf, "createOrReplaceTempView", name)
  invisible(TRUE)
})

# Spark SQL has no transactions; say so instead of pretending.
for (generic in c("dbBegin", "dbCommit", "dbRollback")) {
  setMethod(generic, "Spark SQL", function(conn, ...) stop("Spark SQL has no transactions", call. = FALSE))
}
