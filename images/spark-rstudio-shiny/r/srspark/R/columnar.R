# Data frames in and out of Spark, column by column: each column's bytes are written with writeBin
# (and read with readBin), never row by row and never as text. They cross to the driver's JVM
# through a file in R's own temporary directory (mode 0700; the JVM is this R process's child, the
# same user), not through the bridge: py4j sends a byte array as base64 text, which took 2.9 s of
# a 10^6-row, 10-column collect(). The JVM side is org.sparkrstudioshiny.srspark.ColumnarWriter /
# ColumnarReader (jvm/ in the image sources), which both bridges reach the same way.

# Rows per partition when a frame is copied in: enough for Spark to spread the rows over the
# workers, few enough that each task stays small.
ROWS_PER_PARTITION <- 50000L

# A file for one handover, removed by the caller.
handover_file <- function() tempfile("srspark-columns-")

# Blocks as ColumnChunk.writeTo writes them and ColumnChunk.readBlocks reads them: each a 4-byte
# little-endian length, then its bytes.
write_blocks <- function(path, blocks) {
  con <- file(path, "wb")
  on.exit(close(con))
  for (bytes in blocks) {
    writeBin(length(bytes), con, size = 4L, endian = "little")
    writeBin(bytes, con)
  }
}

read_block <- function(con) {
  size <- readBin(con, "integer", 1L, size = 4L, endian = "little")
  if (length(size) == 0L) stop("a column file from Spark was cut short", call. = FALSE)
  readBin(con, "raw", size)
}

# Adds one encoded column (encode_column()) to a JVM ColumnarWriter, through `path`.
add_column <- function(writer, name, column, cast, path) {
  b <- spark_parts()$bridge
  write_blocks(path, list(column$bytes, column$mask))
  with_spark_errors(b$jcall(writer, "addColumnFile", enc2utf8(name), column$code, path, cast))
}

little <- function(x, size) writeBin(x, raw(), size = size, endian = "little")

missing_mask <- function(missing) if (any(missing)) as.raw(missing) else raw(0)

# One R column as list(code, bytes, mask). Factors go as their labels; POSIXct as seconds (UTC);
# Dates as whole days; bit64's integer64 as its 8 bytes; raw vectors (a list of them, or a blob)
# as base64; times (hms, difftime) as their text, "HH:MM:SS" (Spark 4.2's TIME type is not yet
# usable in most operations).
encode_column <- function(x, name) {
  if (inherits(x, "AsIs")) class(x) <- setdiff(class(x), "AsIs")
  if (inherits(x, "POSIXlt")) x <- as.POSIXct(x)
  if (is.factor(x)) x <- as.character(x)
  if (inherits(x, "difftime")) x <- ifelse(is.na(x), NA_character_, format(hms::as_hms(x)))
  if (inherits(x, "integer64")) {
    return(list(code = "long", bytes = little(unclass(x), 8L), mask = missing_mask(is.na(x))))
  }
  if (is_binary(x)) {
    missing <- vapply(x, is.null, logical(1))
    text <- vapply(x, function(v) if (is.null(v)) "" else jsonlite::base64_enc(v), character(1))
    return(list(code = "binary", bytes = writeBin(text, raw()), mask = missing_mask(missing)))
  }
  if (inherits(x, "POSIXct")) {
    return(list(code = "timestamp", bytes = little(as.double(x), 8L), mask = missing_mask(is.na(x))))
  }
  if (inherits(x, "Date")) {
    days <- as.integer(floor(unclass(x)))
    return(list(code = "date", bytes = little(ifelse(is.na(days), 0L, days), 4L), mask = missing_mask(is.na(days))))
  }
  if (is.logical(x)) {
    return(list(code = "logical", bytes = as.raw(ifelse(is.na(x), 0L, as.integer(x))), mask = missing_mask(is.na(x))))
  }
  if (is.integer(x) && is.null(attr(x, "class"))) {
    return(list(code = "integer", bytes = little(x, 4L), mask = missing_mask(is.na(x))))
  }
  if (is.double(x) && is.null(attr(x, "class"))) {
    # NaN stays NaN in Spark; only NA becomes null.
    return(list(code = "double", bytes = little(x, 8L), mask = missing_mask(is.na(x) & !is.nan(x))))
  }
  if (is.character(x)) {
    text <- enc2utf8(x)
    missing <- is.na(text)
    text[missing] <- ""
    return(list(code = "string", bytes = writeBin(text, raw()), mask = missing_mask(missing)))
  }
  stop("column ", name, " is of class ", paste(class(x), collapse = "/"), ", which Spark cannot take; ",
    "use numbers, integers, text, factors, logicals, Dates, POSIXct, times, blobs or integer64",
    call. = FALSE
  )
}

# A column from Spark. 64-bit integers become what `bigint` says (as DBI's dbConnect() argument).
decode_column <- function(code, bytes, mask, rows, bigint = "numeric") {
  value <- switch(code,
    double = readBin(bytes, "double", rows, size = 8L, endian = "little"),
    long = structure(readBin(bytes, "double", rows, size = 8L, endian = "little"), class = "integer64"),
    binary = {
      text <- readBin(bytes, "character", rows)
      blob::as_blob(lapply(text, jsonlite::base64_dec))
    },
    integer = readBin(bytes, "integer", rows, size = 4L, endian = "little"),
    logical = as.logical(as.integer(bytes)),
    string = {
      text <- readBin(bytes, "character", rows)
      Encoding(text) <- "UTF-8"
      text
    },
    date = structure(as.double(readBin(bytes, "integer", rows, size = 4L, endian = "little")), class = "Date"),
    timestamp = structure(readBin(bytes, "double", rows, size = 8L, endian = "little"), class = c("POSIXct", "POSIXt"), tzone = "UTC"),
    stop("unknown column code from Spark: ", code, call. = FALSE)
  )
  if (length(value) != rows) value <- value[seq_len(rows)]
  if (length(mask) > 0L) {
    missing <- mask != as.raw(0L)
    if (code == "binary") value[missing] <- list(NULL) else value[missing] <- NA
  }
  if (code == "long") value <- as_bigint(value, bigint)
  value
}

BIGINT <- c("numeric", "integer", "integer64", "character")

# 64-bit integers (integer64) as `bigint` asks: numbers (with a warning when one is past 2^53,
# where doubles stop being exact), integers (NA and a warning past 32 bits), integer64 or text.
as_bigint <- function(x, bigint) {
  switch(bigint,
    integer64 = x,
    character = as.character(x),
    # DBI's spec: "integer" overflows silently (to NA).
    integer = suppressWarnings(as.integer(x)),
    numeric = {
      inexact <- !is.na(x) & abs(x) > bit64::as.integer64("9007199254740992")
      if (any(inexact)) {
        warning("64-bit integers past 2^53 lost digits as numbers; connect with ",
          "dbConnect(srspark::spark(), bigint = \"integer64\") or \"character\" to keep them",
          call. = FALSE
        )
      }
      as.double(x)
    }
  )
}

SPARK_TYPE <- "^[A-Za-z]+( *\\( *[0-9]+( *, *[0-9]+)? *\\))?$"

# A JVM DataFrame holding `frame`, in partitions of about ROWS_PER_PARTITION rows; `types`
# (named Spark SQL types, e.g. c(id = "BIGINT")) casts those columns.
frame_to_spark <- function(frame, types = NULL) {
  s <- spark_parts()
  b <- s$bridge
  names <- names(frame)
  if (is.null(names) || anyNA(names) || any(names == "") || anyDuplicated(names) > 0L) {
    stop("every column needs a name, and a name only once; got ", paste(deparse(names), collapse = ""), call. = FALSE)
  }
  if (!is.null(types)) {
    if (is.null(names(types)) || !all(names(types) %in% names)) {
      stop("field.types must be named after columns of the data, got ", paste(deparse(names(types)), collapse = ""), call. = FALSE)
    }
    bad <- types[!grepl(SPARK_TYPE, types)]
    if (length(bad) > 0L) stop("not a Spark SQL type: ", paste(bad, collapse = ", "), call. = FALSE)
  }
  writer <- b$jnew(s$handle, "org.sparkrstudioshiny.srspark.ColumnarWriter", s$session)
  path <- handover_file()
  on.exit(unlink(path))
  for (name in names) {
    cast <- if (name %in% names(types)) types[[name]] else ""
    add_column(writer, name, encode_column(frame[[name]], name), cast, path)
  }
  rows <- nrow(frame)
  partitions <- if (rows <= ROWS_PER_PARTITION) 1L else cluster_partitions(ceiling(rows / ROWS_PER_PARTITION))
  jdf <- with_spark_errors(b$jcall(writer, "build", as.integer(rows), partitions))
  for (name in names[vapply(frame, is.factor, logical(1))]) {
    jdf <- with_levels(jdf, name, frame[[name]])
  }
  jdf
}

# A factor's levels, and whether it is ordered, go with its column as Spark column metadata
# (LEVELS_KEY, ORDERED_KEY): they stay with the column through views and queries that select it,
# collect() gives the factor back, and srs_glm() codes it by those levels.
LEVELS_KEY <- "srspark.levels"
ORDERED_KEY <- "srspark.ordered"

with_levels <- function(jdf, name, x) {
  s <- spark_parts()
  b <- s$bridge
  entries <- list(I(enc2utf8(levels(x))), is.ordered(x))
  names(entries) <- c(LEVELS_KEY, ORDERED_KEY)
  json <- as.character(jsonlite::toJSON(entries, auto_unbox = TRUE))
  metadata <- b$jstatic(s$handle, "org.apache.spark.sql.types.Metadata", "fromJson", json)
  with_spark_errors(b$jcall(jdf, "withMetadata", enc2utf8(name), metadata))
}

# The levels each column of a schema (Spark's JSON of it) carries, by position: NULL, or
# list(levels, ordered).
schema_levels <- function(json, columns) {
  found <- vector("list", columns)
  if (!grepl(LEVELS_KEY, json, fixed = TRUE)) return(found)
  fields <- jsonlite::fromJSON(json, simplifyVector = FALSE)$fields
  for (i in seq_len(min(columns, length(fields)))) {
    metadata <- fields[[i]]$metadata
    if (is.null(metadata[[LEVELS_KEY]])) next
    levels <- as.character(unlist(metadata[[LEVELS_KEY]]))
    found[i] <- list(list(levels = levels, ordered = isTRUE(metadata[[ORDERED_KEY]])))
  }
  found
}

# Text back as the factor it was written as. A value that is not one of the levels (a column
# that got other rows after it was written) becomes a level after them, rather than NA.
as_written_factor <- function(x, declared) {
  extra <- setdiff(unique(x[!is.na(x)]), declared$levels)
  factor(x, levels = c(declared$levels, sort(extra, method = "radix")), ordered = declared$ordered)
}

# A reader over a JVM DataFrame: its column names and codes, and fetch(n) giving data frames
# (64-bit integers as `bigint` says).
spark_reader <- function(jdf, bigint = "numeric") {
  s <- spark_parts()
  b <- s$bridge
  reader <- with_spark_errors(b$jnew(s$handle, "org.sparkrstudioshiny.srspark.ColumnarReader", jdf))
  columns <- b$scalar(b$jcall(reader, "columns"))
  names <- readBin(b$raw_out(b$jcall(reader, "names")), "character", columns)
  Encoding(names) <- "UTF-8"
  codes <- readBin(b$raw_out(b$jcall(reader, "codes")), "character", columns)
  levels <- schema_levels(b$scalar(b$jcall(b$jcall(jdf, "schema"), "json")), columns)
  list(
    names = names,
    codes = codes,
    levels = levels,
    fetch = function(n = -1L) {
      chunk <- with_spark_errors(b$jcall(reader, "fetch", as.integer(n)))
      rows <- b$scalar(b$jcall(chunk, "rows"))
      path <- handover_file()
      on.exit(unlink(path))
      with_spark_errors(b$jcall(chunk, "writeTo", path))
      con <- file(path, "rb")
      on.exit(close(con), add = TRUE, after = FALSE)
      out <- lapply(seq_along(codes), function(i) {
        data <- read_block(con)
        nulls <- read_block(con)
        value <- decode_column(codes[[i]], data, nulls, rows, bigint)
        if (is.null(levels[[i]]) || codes[[i]] != "string") return(value)
        as_written_factor(value, levels[[i]])
      })
      names(out) <- names
      structure(out, class = "data.frame", row.names = .set_row_names(rows))
    },
    # Spark plans the query and runs its shuffles in the background; the first fetch waits for it.
    start = function() invisible(with_spark_errors(b$jcall(reader, "start"))),
    completed = function() isTRUE(with_spark_errors(b$scalar(b$jcall(reader, "hasCompleted")))),
    fetched = function() b$scalar(b$jcall(reader, "rowsFetched"))
  )
}

# The names and codes of a query's columns, without running it; attribute "levels": the levels
# columns carry (by name, list(levels, ordered)).
query_schema <- function(query) {
  reader <- spark_reader(spark_sql(query))
  schema <- stats::setNames(reader$codes, reader$names)
  carried <- !vapply(reader$levels, is.null, logical(1))
  attr(schema, "levels") <- stats::setNames(reader$levels[carried], reader$names[carried])
  schema
}
