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

#' Reads a CSV, Parquet or JSON file (or a folder of them) into the temporary view `name` and
#' returns it as a lazy table. The format comes from the file's extension unless given. CSV
#' files have a header and their column types are inferred (one extra pass over the data).
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
  b$jcall(jdf, "createOrReplaceTempView", name)
  dplyr::tbl(con, name)
}

#' Writes a lazy table (from tbl(), copy_to() or srs_read() and dplyr verbs) to a CSV, Parquet
#' or JSON folder at `path`, computed by the workers. `mode`: "error" when the path exists,
#' "overwrite" or "append". Returns the path.
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
