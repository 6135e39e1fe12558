# The DBI driver: dbConnect(srspark::spark()) is srs_connect(), for code (and tools such as
# DBItest or RStudio's connection code) written against DBI's generic entry point.

#' DBI methods of the Spark SQL driver
#'
#' @param drv,dbObj The driver, from [spark()].
#' @param object The driver, to print.
#' @param obj An R object, for its Spark SQL type.
#' @param bigint What Spark's 64-bit integers become, as in [srs_connect()].
#' @param ... Nothing more is taken.
#' @name SparkDriver-class
#' @exportClass SparkDriver
setClass("SparkDriver", contains = "DBIDriver")

#' The Spark SQL driver for DBI
#'
#' `dbConnect(srspark::spark())` opens a connection on this R process's shared Spark session, as
#' [srs_connect()] does.
#'
#' @return A `SparkDriver` object.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- DBI::dbConnect(spark(), bigint = "integer64")
#' DBI::dbGetQuery(con, "SELECT 9007199254740993 AS big")
spark <- function() new("SparkDriver")

#' @rdname SparkDriver-class
#' @export
setMethod("show", "SparkDriver", function(object) cat("<SparkDriver>\n"))

#' @rdname SparkDriver-class
#' @export
setMethod("dbConnect", "SparkDriver", function(drv, bigint = c("numeric", "integer", "integer64", "character"), ...) {
  extra <- list(...)
  if (length(extra) > 0L) {
    stop("dbConnect(spark()) takes only bigint (the session's master and secret come from the ",
      "image's Spark configuration), got ", paste(names(extra), collapse = ", "),
      call. = FALSE
    )
  }
  srs_connect(bigint = match.arg(bigint))
})

#' @rdname SparkDriver-class
#' @export
setMethod("dbIsValid", "SparkDriver", function(dbObj, ...) TRUE)

#' @rdname SparkDriver-class
#' @export
setMethod("dbGetInfo", "SparkDriver", function(dbObj, ...) {
  list(driver.version = utils::packageVersion("srspark"), client.version = spark_client_version())
})

#' @rdname SparkDriver-class
#' @export
setMethod("dbDataType", "SparkDriver", function(dbObj, obj, ...) spark_type_of(obj))

# The Spark version this R process would use (that of its spark-core jar), without opening a
# session for it.
spark_client_version <- function() {
  jars <- file.path(Sys.getenv("SPARK_HOME", "/opt/spark"), "jars")
  core <- list.files(jars, pattern = "^spark-core_[0-9.]+-[0-9]+\\.[0-9]+\\.[0-9]+\\.jar$")
  if (length(core) == 0L) return(package_version("0.0.0"))
  package_version(sub("^spark-core_[0-9.]+-([0-9.]+)\\.jar$", "\\1", core[[1]]))
}
