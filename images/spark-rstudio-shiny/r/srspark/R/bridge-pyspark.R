# The PySpark bridge: the JVM reached through reticulate and py4j, for images built from the
# PyPI artifact (no SparkR). Everything above the bridge talks to Spark's JVM classes directly,
# so the two bridges differ only in how a call crosses into the JVM.

bridge_pyspark <- function() {
  to_r <- reticulate::py_to_r
  builtins <- reticulate::import_builtins(convert = FALSE)
  session_of <- function(handle) handle$`_jsparkSession`

  java_class <- function(handle, name) {
    node <- handle$`_jvm`
    for (part in strsplit(name, ".", fixed = TRUE)[[1]]) node <- reticulate::py_get_attr(node, part)
    node
  }

  list(
    name = "pyspark",
    open = function(app_name, master, conf) {
      quiet_query_context_loggers(!isTRUE(getOption("srspark.verbose", FALSE)))
      sql <- reticulate::import("pyspark.sql", convert = FALSE)
      builder <- sql$SparkSession$builder$master(master)$appName(app_name)
      for (key in names(conf)) builder <- builder$config(key, conf[[key]])
      builder$getOrCreate()
    },
    stop = function(handle) invisible(handle$stop()),
    alive = function(handle) !isTRUE(to_r(handle$sparkContext$`_jsc`$sc()$isStopped())),
    jsession = session_of,
    jnew = function(handle, class, ...) java_class(handle, class)(...),
    jstatic = function(handle, class, method, ...) reticulate::py_get_attr(java_class(handle, class), method)(...),
    jcall = function(object, method, ...) reticulate::py_get_attr(object, method)(...),
    raw_out = function(value) as.raw(value),
    scalar = function(value) to_r(value),
    strings = function(value) as.character(unlist(to_r(builtins$list(value)))),
    # PySpark keeps the JVM's trace with the exception (its message shows it only when
    # spark.sql.pyspark.jvmStacktrace.enabled is set).
    trace = function(error) {
      python <- inherits(error, "python.builtin.BaseException")
      if (python && reticulate::py_has_attr(error, "_stackTrace")) {
        return(as.character(to_r(reticulate::py_get_attr(error, "_stackTrace"))))
      }
      conditionMessage(error)
    }
  )
}

# PySpark logs every failed query again, as a JSON record with the JVM's whole trace, before it
# raises the error R reports in one line: those two loggers are off unless
# options(srspark.verbose = TRUE). They are made by PySpark's own getLogger, whose records take
# fields a plain logging.Logger refuses.
quiet_query_context_loggers <- function(quiet) {
  logger <- reticulate::import("pyspark.logger", convert = FALSE)$PySparkLogger
  for (name in c("SQLQueryContextLogger", "DataFrameQueryContextLogger")) {
    reticulate::py_set_attr(logger$getLogger(name), "disabled", quiet)
  }
  invisible()
}
