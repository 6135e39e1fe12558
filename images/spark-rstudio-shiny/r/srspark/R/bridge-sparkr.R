# The SparkR bridge: for images built from Apache's tarball, which ships SparkR (deprecated since
# Spark 4.0, still working there). SparkR passes Java byte arrays as raw vectors (the few small
# ones srspark reads: names, codes, a model's numbers); columns cross through files, as on the
# PySpark bridge.

bridge_sparkr <- function() {
  sparkr <- function(name) utils::getFromNamespace(name, "SparkR")
  list(
    name = "sparkr",
    open = function(app_name, master, conf) {
      SparkR::sparkR.session(master = master, appName = app_name, sparkConfig = as.list(conf), enableHiveSupport = FALSE)
    },
    stop = function(handle) invisible(SparkR::sparkR.session.stop()),
    alive = function(handle) {
      isTRUE(tryCatch(!sparkr("callJMethod")(sparkr("callJMethod")(handle, "sparkContext"), "isStopped"), error = function(e) FALSE))
    },
    jsession = function(handle) handle,
    jnew = function(handle, class, ...) sparkr("newJObject")(class, ...),
    jstatic = function(handle, class, method, ...) sparkr("callJStatic")(class, method, ...),
    jcall = function(object, method, ...) sparkr("callJMethod")(object, method, ...),
    raw_out = function(value) value,
    scalar = function(value) value,
    strings = function(value) as.character(unlist(value)),
    # SparkR's error messages hold the JVM's trace.
    trace = function(error) conditionMessage(error)
  )
}
