# Files in and out: CSV, Parquet and JSON, read into a temporary view and written from a lazy
# table. Spark reads and writes a path on the driver and on every worker, so a path must be the
# same for all of them: the stack's data volume at /data, or a URI (s3a://, hdfs://).

FILE_FORMATS <- c("csv", "parquet", "json")

check_path <- function(path) {
  if (!is.character(path) || length(path) != 1L || is.na(path) || grepl("[[:cntrl:]]", path) ||
    !(startsWith(path, "/") || grepl("^[a-z][a-z0-9+.-]*://", path))) {
    stop("a path must be absolute (/data/...) or a URI (s3a://...), got ", paste(deparse(path), collapse = ""), call. = FALSE)
  }
  path
}

check_format <- function(format, path) {
  if (is.null(format)) {
    extension <- tolower(sub(".*\\.", "", basename(path)))
    format <- switch(extension, csv = "csv", parquet = "parquet", json = , jsonl = , ndjson = "json", NA_character_)
    if (is.na(format)) stop("cannot tell the format of ", path, " from its name; give format = one of ", paste(FILE_FORMATS, collapse = ", "), call. = FALSE)
  }
  if (!is.character(format) || length(format) != 1L || !format %in% FILE_FORMATS) {
    stop("format must be one of ", paste(FILE_FORMATS, collapse = ", "), ", got ", paste(deparse(format), collapse = ""), call. = FALSE)
  }
  format
}

check_options <- function(options) {
  if (!is.list(options) || (length(options) > 0L && (is.null(names(options)) || !all(grepl("^[A-Za-z][A-Za-z0-9.]*$", names(options)))))) {
    stop("options must be a named list like list(sep = \";\"), got ", paste(deparse(options), collapse = ""), call. = FALSE)
  }
  lapply(options, function(value) {
    if (length(value) != 1L || is.na(value)) stop("each option must be one value", call. = FALSE)
    if (is.logical(value)) tolower(as.character(value)) else as.character(value)
  })
}

path_error <- function(error, path) {
  message <- spark_error_message(error)
  if (grepl("PATH_NOT_FOUND|does not exist", message)) {
    stop("no file or folder at ", path, "; Spark reads it on every worker, so keep shared data under /data (the stack's data volume) or in object storage", call. = FALSE)
  }
  stop(message, call. = FALSE)
}

#' Read a file into Spark
#'
#' Reads a CSV, Parquet or JSON file, or a folder of them, into a temporary view; the workers
#' read it, so it must be where every node sees it (`/data`, the stack's data volume, or object
#' storage). A missing file, a bad format or a relative path is one clear error.
#'
#' @param con A connection from [srs_connect()].
#' @param path An absolute path.
#' @param name The view's name.
#' @param format `"csv"`, `"parquet"` or `"json"`; by default from the file's extension.
#' @param options A named list of Spark reader options. CSV files have a header and their column
#'   types are inferred (one more pass over the data) unless these say otherwise.
#' @param overwrite Whether an existing view of that name is replaced.
#' @return The view as a lazy table (dplyr).
#' @seealso [srs_write()]
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' cars <- dplyr::copy_to(con, mtcars, "cars_example", overwrite = TRUE)
#' srs_write(cars, "/data/examples/cars.parquet", mode = "overwrite")
#' srs_read(con, "/data/examples/cars.parquet", "cars_again")
srs_read <- function(con, path, name, format = NULL, options = list(), overwrite = TRUE) {
  check_connection(con)
  path <- check_path(path)
  format <- check_format(format, path)
  name <- table_name(name)
  options <- check_options(options)
  if (!isTRUE(overwrite) && dbExistsTable(con, name)) stop("a table named ", name, " exists; use overwrite = TRUE to replace it", call. = FALSE)
  if (format == "csv") options <- utils::modifyList(list(header = "true", inferSchema = "true"), options)
  s <- spark_parts()
  b <- s$bridge
  reader <- b$jcall(b$jcall(s$session, "read"), "format", format)
  for (key in names(options)) reader <- b$jcall(reader, "option", key, options[[key]])
  jdf <- tryCatch(b$jcall(reader, "load", path), error = function(e) path_error(e, path))
  replace_view(jdf, name)
  dplyr::tbl(con, name)
}

#' Write a lazy table to files
#'
#' The workers compute the table (from `tbl()`, `copy_to()` or [srs_read()] and dplyr verbs)
#' and write it as a folder of CSV, Parquet or JSON files.
#'
#' @param data A lazy table of a [srs_connect()] connection.
#' @param path An absolute path, under `/data` to be read back from every node.
#' @param format `"csv"`, `"parquet"` or `"json"`; by default from the path's extension.
#' @param mode `"error"` when the path exists, `"overwrite"` or `"append"`.
#' @param options A named list of Spark writer options.
#' @return The path, invisibly.
#' @seealso [srs_read()]
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' cars <- dplyr::copy_to(con, mtcars, "cars_example", overwrite = TRUE)
#' srs_write(cars, "/data/examples/cars.csv", mode = "overwrite")
srs_write <- function(data, path, format = NULL, mode = c("error", "overwrite", "append"), options = list()) {
  if (!inherits(data, "tbl_sql") || !methods::is(dbplyr::remote_con(data), "Spark SQL")) {
    stop("srs_write() needs a lazy table of a srs_connect() connection; copy a data frame in first with copy_to()", call. = FALSE)
  }
  path <- check_path(path)
  format <- check_format(format, path)
  mode <- match.arg(mode)
  options <- check_options(options)
  if (format == "csv") options <- utils::modifyList(list(header = "true"), options)
  jdf <- spark_sql(as.character(dbplyr::sql_render(data)))
  s <- spark_parts()
  b <- s$bridge
  writer <- b$jcall(b$jcall(b$jcall(jdf, "write"), "format", format), "mode", if (mode == "error") "errorifexists" else mode)
  for (key in names(options)) writer <- b$jcall(writer, "option", key, options[[key]])
  tryCatch(b$jcall(writer, "save", path), error = function(e) path_error(e, path))
  invisible(path)
}
