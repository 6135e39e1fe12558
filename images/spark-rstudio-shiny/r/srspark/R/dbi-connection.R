# A DBI connection on the process's shared Spark session. Its class is named "Spark SQL", the
# name dbplyr (and the odbc package) use for Spark: dbplyr then translates dplyr verbs into Spark
# SQL by itself. Tables are Spark temporary views: they live as long as the session.

#' DBI methods of a Spark SQL connection
#'
#' The connection [srs_connect()] and `dbConnect(spark())` return. Tables are Spark temporary
#' views (the only tables here: `temporary = FALSE` is refused), any name Spark takes, quoted
#' with backticks; `Id()` with a schema is refused (views have none). `dbWriteTable()` and
#' `dbAppendTable()` copy data frames column by column; a factor keeps its levels
#' (`dbAppendTable()` into an existing view appends labels). Parameters are Spark's positional
#' `?` markers (`params =`, `dbBind()`). Spark SQL has no transactions: `dbBegin()` and the
#' others are errors. Spark does not report how many rows a statement touched
#' (`dbGetRowsAffected()` is `NA`).
#'
#' Methods: `show`, `dbIsValid`, `dbDisconnect`, `dbGetInfo`, `dbDataType`, `dbQuoteIdentifier`,
#' `dbUnquoteIdentifier`, `dbQuoteString`, `dbQuoteLiteral`, `dbListTables`, `dbExistsTable`,
#' `dbListFields`, `dbReadTable`, `dbRemoveTable`, `dbWriteTable`, `dbCreateTable`,
#' `dbAppendTable`, `dbWriteTableArrow`, `dbCreateTableArrow`, `dbSendQuery`, `dbSendStatement`,
#' `dbExecute`, `dbGetQuery` (with `params =`), and `dbBegin`, `dbCommit`, `dbRollback` (errors).
#' Their arguments are DBI's (see [DBI::dbWriteTable()] and the others); `temporary` defaults to
#' `TRUE`.
#'
#' @name SparkSQL-class
#' @rawRd \alias{Spark SQL-class}
#' @rawRd \alias{dbBegin,Spark SQL-method}
#' @rawRd \alias{dbCommit,Spark SQL-method}
#' @rawRd \alias{dbRollback,Spark SQL-method}
#' @rawNamespace exportClasses("Spark SQL")
#' @exportMethod dbBegin dbCommit dbRollback
setClass("Spark SQL", contains = "DBIConnection", slots = c(state = "environment"))

#' A DBI connection to the cluster
#'
#' On this R process's shared Spark session ([srs_session()], opened on first use). It works
#' with DBI (`dbGetQuery()`, `dbWriteTable()`, parameters as `?` with `params =`) and with dplyr
#' through dbplyr (`tbl()`, `copy_to()`, `collect()`). Tables are Spark temporary views, seen by
#' every connection of the process. `dbDisconnect()` ends this handle, not the session.
#'
#' @param bigint What Spark's 64-bit integers become: `"numeric"` (exact up to 2^53, a warning
#'   past it), `"integer"`, `"integer64"` (bit64) or `"character"`.
#' @return A connection of class `Spark SQL` (the name dbplyr gives Spark's SQL dialect).
#' @seealso [spark()], the DBI driver.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' DBI::dbGetQuery(con, "SELECT ? + 1 AS answer", params = list(41L))
#' dplyr::copy_to(con, mtcars, "cars_example", overwrite = TRUE) |>
#'   dplyr::count(cyl) |>
#'   dplyr::collect()
srs_connect <- function(bigint = c("numeric", "integer", "integer64", "character")) {
  bigint <- match.arg(bigint)
  srs_session()
  state <- new.env(parent = emptyenv())
  state$valid <- TRUE
  state$bigint <- bigint
  new("Spark SQL", state = state)
}

check_connection <- function(conn) {
  if (!isTRUE(conn@state$valid)) stop("this Spark SQL connection was disconnected; open one with srs_connect()", call. = FALSE)
  invisible(conn)
}

# A table name as written: any text Spark takes as one name (quoted wherever it goes). Temporary
# views have no schema: an Id() with a schema or catalog is refused.
table_name <- function(name) {
  if (methods::is(name, "Id")) {
    parts <- unname(name@name)
    if (length(parts) != 1L) {
      stop("a table here is a temporary view, which has no schema or catalog: give the table alone, got ",
        paste(parts, collapse = "."),
        call. = FALSE
      )
    }
    name <- parts[[1]]
  } else if (methods::is(name, "SQL")) {
    name <- unquote_identifier(as.character(name))
  }
  if (!is.character(name) || length(name) != 1L || is.na(name) || name == "") {
    stop("a table name must be one non-empty string, got ", paste(deparse(name), collapse = ""), call. = FALSE)
  }
  if (nchar(name) > 255L) stop("a table name may have at most 255 characters, got ", nchar(name), call. = FALSE)
  name
}

# A name quoted with backticks back to the name (a doubled backtick inside is one); anything else
# as it is.
unquote_identifier <- function(x) {
  quoted <- grepl("^`.*`$", x)
  x[quoted] <- gsub("``", "`", substr(x[quoted], 2L, nchar(x[quoted]) - 1L), fixed = TRUE)
  x
}

quote_identifier <- function(x) {
  if (length(x) == 0L) return(character())
  paste0("`", gsub("`", "``", x, fixed = TRUE), "`")
}

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

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("show", "Spark SQL", function(object) {
  status <- if (isTRUE(object@state$valid)) paste0(.state$master, ", ", .state$bridge$name, " bridge") else "disconnected"
  cat("<Spark SQL> ", status, "\n", sep = "")
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbIsValid", "Spark SQL", function(dbObj, ...) isTRUE(dbObj@state$valid) && srs_session_active())

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbDisconnect", "Spark SQL", function(conn, ...) {
  if (!isTRUE(conn@state$valid)) {
    warning("this Spark SQL connection was already disconnected", call. = FALSE)
    return(invisible(TRUE))
  }
  open <- if (is.null(conn@state$results)) character() else ls(conn@state$results)
  if (length(open) > 0L) {
    warning("closing ", length(open), " result(s) left open on this connection; clear them with dbClearResult()", call. = FALSE)
    for (key in open) {
      result <- get(key, envir = conn@state$results)
      result$valid <- FALSE
    }
  }
  conn@state$valid <- FALSE
  invisible(TRUE)
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbGetInfo", "Spark SQL", function(dbObj, ...) {
  check_connection(dbObj)
  info <- srs_cluster_info()
  port <- suppressWarnings(as.integer(sub("^spark://[^:]+:([0-9]+)$", "\\1", info$master)))
  list(
    dbname = "spark", db.version = info$spark_version, host = info$master, port = port,
    username = Sys.info()[["user"]], app_id = info$app_id, backend = info$backend
  )
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbDataType", "Spark SQL", function(dbObj, obj, ...) spark_type_of(obj))

# The Spark SQL type an R value is written as (see encode_column()).
spark_type_of <- function(obj) {
  if (is.data.frame(obj)) return(vapply(obj, spark_type_of, character(1)))
  if (inherits(obj, "AsIs")) class(obj) <- setdiff(class(obj), "AsIs")
  if (is.factor(obj) || is.character(obj) || inherits(obj, "difftime")) return("STRING")
  if (inherits(obj, "integer64")) return("BIGINT")
  if (is_binary(obj)) return("BINARY")
  if (inherits(obj, "POSIXt")) return("TIMESTAMP")
  if (inherits(obj, "POSIXct")) return("TIMESTAMP")
  if (inherits(obj, "Date")) return("DATE")
  if (is.logical(obj)) return("BOOLEAN")
  if (is.integer(obj)) return("INT")
  if (is.double(obj)) return("DOUBLE")
  stop("no Spark SQL type for R class ", paste(class(obj), collapse = "/"), call. = FALSE)
}

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbQuoteIdentifier", c("Spark SQL", "character"), function(conn, x, ...) {
  if (anyNA(x)) stop("cannot quote a missing identifier", call. = FALSE)
  DBI::SQL(quote_identifier(x), names = names(x))
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbQuoteIdentifier", c("Spark SQL", "SQL"), function(conn, x, ...) x)

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbQuoteIdentifier", c("Spark SQL", "Id"), function(conn, x, ...) {
  DBI::SQL(paste(quote_identifier(unname(x@name)), collapse = "."))
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbUnquoteIdentifier", c("Spark SQL", "SQL"), function(conn, x, ...) {
  ids <- lapply(as.character(x), function(one) {
    parts <- regmatches(one, gregexpr("`([^`]|``)*`|[^.`]+", one))[[1]]
    DBI::Id(unquote_identifier(parts))
  })
  names(ids) <- names(x)
  ids
})

# Spark SQL reads backslash escapes in string literals (spark.sql.parser.escapedStringLiterals is
# false by default), so both the backslash and the quote are escaped.
#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbQuoteString", c("Spark SQL", "character"), function(conn, x, ...) {
  if (length(x) == 0L) return(DBI::SQL(character()))
  quoted <- paste0("'", gsub("'", "\\\\'", gsub("\\", "\\\\", enc2utf8(x), fixed = TRUE)), "'")
  quoted[is.na(x)] <- "NULL"
  DBI::SQL(quoted, names = names(x))
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbQuoteString", c("Spark SQL", "SQL"), function(conn, x, ...) x)

# Literals Spark reads back as the same value and type: typed dates and timestamps (UTC), TRUE and
# FALSE, numbers with all their digits, binary as X'..', NULL for a missing value.
#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbQuoteLiteral", c("Spark SQL", "ANY"), function(conn, x, ...) {
  if (methods::is(x, "SQL")) return(x)
  if (inherits(x, "AsIs")) class(x) <- setdiff(class(x), "AsIs")
  if (is.factor(x)) x <- as.character(x)
  if (is.character(x)) return(dbQuoteString(conn, x))
  if (is_binary(x)) {
    out <- vapply(x, function(v) {
      if (is.null(v)) "NULL" else paste0("X'", paste(as.character(v), collapse = ""), "'")
    }, "")
    return(DBI::SQL(out, names = names(x)))
  }
  missing <- is.na(x)
  out <- if (inherits(x, "POSIXt")) {
    sprintf("TIMESTAMP '%s'", format(as.POSIXct(x), "%Y-%m-%d %H:%M:%OS6", tz = "UTC"))
  } else if (inherits(x, "Date")) {
    sprintf("DATE '%s'", format(x, "%Y-%m-%d"))
  } else if (inherits(x, "difftime")) {
    quote_text(format(hms::as_hms(x)))
  } else if (is.logical(x)) {
    ifelse(x, "TRUE", "FALSE")
  } else if (inherits(x, "integer64")) {
    paste0(as.character(x), "L")
  } else if (is.integer(x)) {
    as.character(x)
  } else if (is.double(x)) {
    number <- sprintf("%.17gD", x)
    number[is.nan(x)] <- "CAST('NaN' AS DOUBLE)"
    number[is.infinite(x)] <- ifelse(x[is.infinite(x)] > 0, "CAST('Infinity' AS DOUBLE)", "CAST('-Infinity' AS DOUBLE)")
    number
  } else {
    stop("no Spark SQL literal for R class ", paste(class(x), collapse = "/"), call. = FALSE)
  }
  out[missing & !(is.double(x) & is.nan(x))] <- "NULL"
  DBI::SQL(out, names = names(x))
})

# A list of raw vectors (or NULL), or a blob.
is_binary <- function(x) {
  is_raw_or_null <- function(v) is.null(v) || is.raw(v)
  inherits(x, "blob") || (is.list(x) && !is.data.frame(x) && all(vapply(x, is_raw_or_null, logical(1))))
}

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbListTables", "Spark SQL", function(conn, ...) {
  check_connection(conn)
  tables <- spark_reader(spark_sql("SHOW TABLES"))$fetch()
  sort(tables$tableName)
})

# The catalog's view of temporary views. Spark parses the names it is given to tableExists() and
# createOrReplaceTempView() (so they go quoted), not those given to dropTempView().
view_exists <- function(name) {
  s <- spark_parts()
  catalog <- s$bridge$jcall(s$session, "catalog")
  isTRUE(s$bridge$scalar(s$bridge$jcall(catalog, "tableExists", quote_identifier(name))))
}

replace_view <- function(jdf, name) {
  s <- spark_parts()
  with_spark_errors(s$bridge$jcall(jdf, "createOrReplaceTempView", quote_identifier(name)))
  invisible(TRUE)
}

drop_view <- function(name) {
  s <- spark_parts()
  catalog <- s$bridge$jcall(s$session, "catalog")
  isTRUE(s$bridge$scalar(s$bridge$jcall(catalog, "dropTempView", name)))
}

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbExistsTable", c("Spark SQL", "ANY"), function(conn, name, ...) {
  check_connection(conn)
  view_exists(table_name(name))
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbListFields", c("Spark SQL", "ANY"), function(conn, name, ...) {
  check_connection(conn)
  name <- table_name(name)
  if (!view_exists(name)) stop("no table named ", name, call. = FALSE)
  names(query_schema(paste("SELECT * FROM", quote_identifier(name))))
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbReadTable", c("Spark SQL", "ANY"), function(conn, name, ..., row.names = FALSE, check.names = TRUE) {
  check_connection(conn)
  check_flag(check.names, "check.names")
  check_row_names(row.names)
  name <- table_name(name)
  if (!view_exists(name)) stop("no table named ", name, call. = FALSE)
  out <- dbGetQuery(conn, paste("SELECT * FROM", quote_identifier(name)))
  out <- DBI::sqlColumnToRownames(out, row.names)
  if (check.names) names(out) <- make.names(names(out), unique = TRUE)
  out
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbRemoveTable", c("Spark SQL", "ANY"), function(conn, name, ..., temporary = FALSE, fail_if_missing = TRUE) {
  check_connection(conn)
  check_flag(temporary, "temporary")
  check_flag(fail_if_missing, "fail_if_missing")
  name <- table_name(name)
  if (!drop_view(name) && fail_if_missing) stop("no table named ", name, call. = FALSE)
  invisible(TRUE)
})

# NULL, or Spark SQL types named after columns of `columns`, each column once.
check_field_types <- function(types, columns) {
  if (is.null(types)) return(invisible())
  named <- is.character(types) && !is.null(names(types)) && !anyNA(types) && all(names(types) != "")
  if (!named || anyDuplicated(names(types)) > 0L) {
    stop("field.types must be Spark SQL types named after columns, each once, got ",
      paste(deparse(types), collapse = ""),
      call. = FALSE
    )
  }
  unknown <- setdiff(names(types), columns)
  if (length(unknown) > 0L) stop("field.types names no column: ", paste(unknown, collapse = ", "), call. = FALSE)
  bad <- types[!grepl(SPARK_TYPE, types)]
  if (length(bad) > 0L) stop("not a Spark SQL type: ", paste(bad, collapse = ", "), call. = FALSE)
  invisible()
}

# TRUE or FALSE, or an error naming the argument.
check_flag <- function(x, what) {
  if (!is.logical(x) || length(x) != 1L || is.na(x)) {
    stop(what, " must be TRUE or FALSE, got ", paste(deparse(x), collapse = ""), call. = FALSE)
  }
  invisible(x)
}

# DBI's row.names: TRUE, FALSE, NA or a column name.
check_row_names <- function(x) {
  ok <- is.null(x) || (length(x) == 1L && (is.logical(x) || (is.character(x) && !is.na(x))))
  if (!ok) stop("row.names must be TRUE, FALSE, NA or a column name, got ", paste(deparse(x), collapse = ""), call. = FALSE)
  invisible(x)
}

# Temporary views are the only tables here: temporary = FALSE is refused, saying where to keep data.
check_temporary <- function(temporary) {
  check_flag(temporary, "temporary")
  if (!temporary) {
    stop("Spark SQL here keeps tables as temporary views only (temporary = FALSE is not supported); ",
      "write files with srs_write() to keep data",
      call. = FALSE
    )
  }
}

#' Writes a data frame into Spark as a temporary view (the only kind of table here): column by
#' column, without text conversion. `overwrite` replaces an existing view, `append` adds rows to
#' it (same column names); without either an existing name is an error, as DBI specifies.
#' `field.types` (named Spark SQL types) casts columns after the copy.
#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbWriteTable", c("Spark SQL", "ANY", "data.frame"), function(conn, name, value, ..., row.names = FALSE, overwrite = FALSE, append = FALSE, field.types = NULL, temporary = TRUE) {
  check_connection(conn)
  name <- table_name(name)
  check_flag(overwrite, "overwrite")
  check_flag(append, "append")
  check_row_names(row.names)
  check_temporary(temporary)
  check_field_types(field.types, names(DBI::sqlRownamesToColumn(value, row.names)))
  check_limit("srspark.max_copy_columns", ncol(value), "the data frame has")
  if (overwrite && append) stop("overwrite and append cannot both be TRUE", call. = FALSE)
  if (append && !is.null(field.types)) stop("field.types cannot be given with append = TRUE", call. = FALSE)
  exists <- view_exists(name)
  if (exists && !overwrite && !append) {
    stop("a table named ", name, " exists; use overwrite = TRUE to replace it or append = TRUE to add rows", call. = FALSE)
  }
  value <- DBI::sqlRownamesToColumn(value, row.names)
  if (exists && append) return(invisible(append_rows(name, value) >= 0))
  replace_view(frame_to_spark(value, field.types), name)
})

# DBI's Arrow writers, with this driver's default (temporary views): the stream becomes a data
# frame, written like any other.
#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbWriteTableArrow", "Spark SQL", function(conn, name, value, append = FALSE, overwrite = FALSE, ...,
                                                     temporary = TRUE) {
  value <- as.data.frame(nanoarrow::as_nanoarrow_array_stream(value))
  dbWriteTable(conn, name, value, append = append, overwrite = overwrite, temporary = temporary)
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbCreateTableArrow", "Spark SQL", function(conn, name, value, ..., temporary = TRUE) {
  if (!inherits(value, "nanoarrow_schema")) value <- nanoarrow::infer_nanoarrow_schema(value)
  dbCreateTable(conn, name, nanoarrow::infer_nanoarrow_ptype(value), ..., temporary = temporary)
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbCreateTable", "Spark SQL", function(conn, name, fields, ..., row.names = NULL, temporary = TRUE) {
  check_connection(conn)
  name <- table_name(name)
  check_temporary(temporary)
  if (!is.null(row.names)) stop("row.names must be NULL in dbCreateTable()", call. = FALSE)
  if (is.data.frame(fields)) fields <- vapply(fields, spark_type_of, character(1))
  # A named list of types (one string each) is the same as a named character vector.
  one_type <- function(f) is.character(f) && length(f) == 1L
  if (is.list(fields) && all(vapply(fields, one_type, logical(1)))) {
    fields <- vapply(fields, identity, character(1))
  }
  if (!is.character(fields) || is.null(names(fields)) || anyNA(names(fields)) || any(names(fields) == "") ||
    anyDuplicated(names(fields)) > 0L) {
    stop("fields must be a data frame or Spark SQL types named after distinct columns, got ",
      paste(deparse(fields), collapse = ""),
      call. = FALSE
    )
  }
  bad <- fields[!grepl(SPARK_TYPE, fields)]
  if (length(bad) > 0L) stop("not a Spark SQL type: ", paste(bad, collapse = ", "), call. = FALSE)
  if (view_exists(name)) stop("a table named ", name, " exists", call. = FALSE)
  columns <- sprintf("CAST(NULL AS %s) AS %s", fields, quote_identifier(names(fields)))
  replace_view(spark_sql(paste("SELECT", paste(columns, collapse = ", "), "LIMIT 0")), name)
})

#' @rdname SparkSQL-class
#' @usage NULL
#' @export
setMethod("dbAppendTable", "Spark SQL", function(conn, name, value, ..., row.names = NULL) {
  check_connection(conn)
  name <- table_name(name)
  if (!is.null(row.names)) stop("row.names must be NULL in dbAppendTable()", call. = FALSE)
  if (!is.data.frame(value)) stop("value must be a data frame, got ", class(value)[[1]], call. = FALSE)
  if (!view_exists(name)) stop("no table named ", name, call. = FALSE)
  if (any(vapply(value, is.factor, logical(1)))) {
    warning("factor columns are appended as their labels (text): the table's columns keep their own type", call. = FALSE)
  }
  append_rows(name, value)
})

# Adds the rows of `value` to the view `name`: its columns matched by name (any order, any of
# the view's columns; those it lacks are NULL), each cast to the view's type. Returns the number
# of rows added.
append_rows <- function(name, value) {
  described <- spark_reader(spark_sql(paste("DESCRIBE QUERY SELECT * FROM", quote_identifier(name))))$fetch()
  existing <- stats::setNames(described$data_type, described$col_name)
  unknown <- setdiff(names(value), names(existing))
  if (length(unknown) > 0L || anyDuplicated(names(value)) > 0L || ncol(value) == 0L) {
    stop("append needs columns of ", name, " (", paste(names(existing), collapse = ", "), "), got ",
      paste(names(value), collapse = ", "),
      call. = FALSE
    )
  }
  staged <- fresh_view_name("srs_append")
  replace_view(frame_to_spark(value), staged)
  on.exit(drop_view(staged), add = TRUE)
  given <- names(existing) %in% names(value)
  cast <- sprintf(
    "CAST(%s AS %s) AS %s",
    ifelse(given, quote_identifier(names(existing)), "NULL"), existing, quote_identifier(names(existing))
  )
  query <- sprintf(
    "SELECT * FROM %s UNION ALL SELECT %s FROM %s",
    quote_identifier(name), paste(cast, collapse = ", "), quote_identifier(staged)
  )
  replace_view(spark_sql(query), name)
  nrow(value)
}

# Spark SQL has no transactions; say so instead of pretending.
for (generic in c("dbBegin", "dbCommit", "dbRollback")) {
  setMethod(generic, "Spark SQL", function(conn, ...) stop("Spark SQL has no transactions", call. = FALSE))
}
