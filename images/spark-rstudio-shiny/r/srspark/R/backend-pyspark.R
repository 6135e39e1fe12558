# The PySpark backend, through reticulate: for images built from the PyPI artifact (no SparkR).

backend_pyspark <- function() {
  builtins <- reticulate::import_builtins(convert = FALSE)
  to_r <- reticulate::py_to_r

  collect_df <- function(df) {
    columns <- unlist(to_r(builtins$list(df$columns)))
    rows <- unlist(to_r(builtins$list(df$toJSON()$collect())))
    if (length(rows) == 0L) {
      empty <- as.data.frame(stats::setNames(replicate(length(columns), logical(0), simplify = FALSE), columns))
      return(empty)
    }
    out <- jsonlite::fromJSON(paste0("[", paste(rows, collapse = ","), "]"), simplifyDataFrame = TRUE)
    out[, columns, drop = FALSE]
  }

  list(
    name = "pyspark",
    open = function(app_name, master) {
      sql <- reticulate::import("pyspark.sql", convert = FALSE)
      sql$SparkSession$builder$master(master)$appName(app_name)$getOrCreate()
    },
    alive = function(session) {
      !isTRUE(to_r(session$sparkContext$`_jsc`$sc()$isStopped()))
    },
    sql = function(session, query) collect_df(session$sql(query)),
    view = function(session, query, name) {
      session$sql(query)$createOrReplaceTempView(name)
      invisible(name)
    },
    glm = function(session, query, formula, family) {
      feature <- reticulate::import("pyspark.ml.feature", convert = FALSE)
      regression <- reticulate::import("pyspark.ml.regression", convert = FALSE)
      data <- session$sql(query)
      # alphabetDesc drops the alphabetically first level, as R's own contrasts do.
      prepared <- feature$RFormula(formula = formula, featuresCol = "features", labelCol = "label", stringIndexerOrderType = "alphabetDesc")$fit(data)$transform(data)
      model <- regression$GeneralizedLinearRegression(family = family, featuresCol = "features", labelCol = "label", maxIter = 25L, regParam = 0)$fit(prepared)
      attrs <- to_r(prepared$schema$`__getitem__`("features")$metadata)$ml_attr$attrs
      named <- do.call(rbind, lapply(unlist(unname(attrs), recursive = FALSE), function(a) data.frame(idx = a$idx, term = a$name)))
      named <- named[order(named$idx), ]
      estimates <- unlist(to_r(builtins$list(model$coefficients)))
      data.frame(term = c("(Intercept)", named$term), estimate = c(to_r(model$intercept), estimates), stringsAsFactors = FALSE)
    },
    info = function(session) {
      sc <- session$sparkContext
      infos <- to_r(builtins$list(sc$`_jsc`$sc()$statusTracker()$getExecutorInfos()))
      hosts <- vapply(infos, function(e) to_r(e$host()), character(1))
      driver <- to_r(sc$getConf()$get("spark.driver.host"))
      # The driver is listed among the executors once.
      at <- match(driver, hosts)
      executors <- if (is.na(at)) hosts else hosts[-at]
      list(
        spark_version = to_r(sc$version),
        master = to_r(sc$master),
        app_id = to_r(sc$applicationId),
        app_name = to_r(sc$appName),
        driver_host = driver,
        executors = length(executors),
        executor_hosts = sort(unique(executors))
      )
    }
  )
}
