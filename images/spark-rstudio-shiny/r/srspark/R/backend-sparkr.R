# The SparkR backend: for images built from Apache's tarball, which ships SparkR (deprecated
# since Spark 4.0, still working there).

backend_sparkr <- function() {
  call_j <- function(...) utils::getFromNamespace("callJMethod", "SparkR")(...)
  static_j <- function(...) utils::getFromNamespace("callJStatic", "SparkR")(...)
  list(
    name = "sparkr",
    open = function(app_name, master) {
      SparkR::sparkR.session(master = master, appName = app_name, enableHiveSupport = FALSE)
    },
    alive = function(session) {
      isTRUE(tryCatch(nzchar(SparkR::sparkR.conf("spark.app.id")[[1]]), error = function(e) FALSE))
    },
    sql = function(session, query) SparkR::collect(SparkR::sql(query)),
    view = function(session, query, name) {
      SparkR::createOrReplaceTempView(SparkR::sql(query), name)
      invisible(name)
    },
    glm = function(session, query, formula, family) {
      model <- SparkR::spark.glm(SparkR::sql(query), stats::as.formula(formula), family = family, stringIndexerOrderType = "alphabetDesc")
      coefficients <- summary(model)$coefficients
      data.frame(term = rownames(coefficients), estimate = unname(coefficients[, "Estimate"]), stringsAsFactors = FALSE)
    },
    info = function(session) {
      sc <- static_j("org.apache.spark.SparkContext", "getOrCreate")
      infos <- call_j(call_j(sc, "statusTracker"), "getExecutorInfos")
      hosts <- vapply(infos, function(e) call_j(e, "host"), character(1))
      driver <- SparkR::sparkR.conf("spark.driver.host")[[1]]
      at <- match(driver, hosts)
      executors <- if (is.na(at)) hosts else hosts[-at]
      list(
        spark_version = SparkR::sparkR.version(),
        master = SparkR::sparkR.conf("spark.master")[[1]],
        app_id = SparkR::sparkR.conf("spark.app.id")[[1]],
        app_name = SparkR::sparkR.conf("spark.app.name")[[1]],
        driver_host = driver,
        executors = length(executors),
        executor_hosts = sort(unique(executors))
      )
    }
  )
}
