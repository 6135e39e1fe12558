# The DBI driver: dbConnect(srspark::spark()) is srs_connect(), for code (and tools such as
# DBItest or RStudio's connection code) written against DBI's generic entry point.

setClass("SparkDriver", contains = "DBIDriver")

#' The Spark SQL driver for DBI: `dbConnect(srspark::spark())` opens a connection on this R
#' process's shared Spark session, as `srs_connect()` does.
spark <- function() new("SparkDriver")

setMethod("show", "SparkDriver", function(object) cat("<SparkDriver>\n"))

setMethod("dbConnect", "SparkDriver", function(drv, ...) {
  extra <- list(...)
  if (length(extra) > 0L) {
    stop("dbConnect(spark()) takes no arguments (the session's master and secret come from the ",
      "image's Spark configuration), got ", paste(names(extra), collapse = ", "),
      call. = FALSE
    )
  }
  srs_connect()
})

setMethod("dbIsValid", "SparkDriver", function(dbObj, ...) TRUE)

setMethod("dbGetInfo", "SparkDriver", function(dbObj, ...) {
  list(driver.version = utils::packageVersion("srspark"), client.version = spark_client_version())
})

setMethod("dbDataType", "SparkDriver", function(dbObj, obj, ...) spark_type_of(obj))

# The Spark version this R process would use (that of its spark-core jar), without opening a
# session for it.
spark_client_version <- function() {
  jars <- file.path(Sys.getenv("SPARK_HOME", "/opt/spark"), "jars")
  core <- list.files(jars, pattern = "^spark-core_[0-9.]+-[0-9]+\\.[0-9]+\\.[0-9]+\\.jar$")
  if (length(core) == 0L) return(package_version("0.0.0"))
  package_version(sub("^spark-core_[0-9.]+-([0-9.]+)\\.jar$", "\\1", core[[1]]))
}
