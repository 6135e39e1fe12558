#' srspark: Spark from R on a spark-rstudio-shiny cluster
#'
#' One shared Spark session per R process ([srs_session()]) made a DBI connection
#' ([srs_connect()], `dbConnect(spark())`) that dbplyr translates dplyr verbs for; data frames
#' in and out column by column ([dplyr::copy_to()], `collect()`), files read and written by the
#' workers ([srs_read()], [srs_write()]), and generalized linear models from sufficient
#' statistics ([srs_glm()]).
#'
#' Options: `srspark.verbose` (the JVM's trace with every Spark error), `srspark.progress` (a
#' progress bar on the console), `srspark.keep_executors` (executors an idle app keeps),
#' `srspark.session_conf` (Spark settings for the session a process opens), and the bounds
#' of `srs_glm()` and `copy_to()`: `srspark.max_model_columns`, `srspark.max_interaction_order`,
#' `srspark.max_levels`, `srspark.max_groups`, `srspark.max_copy_columns`.
#'
#' @keywords internal
#' @import methods DBI
#' @importFrom dplyr copy_to
"_PACKAGE"

# DBI's generics that a driver package re-exports (DBItest checks it); the Arrow ones work
# through DBI's defaults, by way of data frames.
#' @importFrom DBI Id dbCanConnect dbIsReadOnly dbListObjects dbWithTransaction
#' @importFrom DBI dbAppendTableArrow dbBindArrow dbCreateTableArrow dbFetchArrow
#' @importFrom DBI dbFetchArrowChunk dbGetQueryArrow dbReadTableArrow dbSendQueryArrow
#' @importFrom DBI dbWriteTableArrow
#' @export
DBI::Id
#' @export
DBI::dbCanConnect
#' @export
DBI::dbIsReadOnly
#' @export
DBI::dbListObjects
#' @export
DBI::dbWithTransaction
#' @export
DBI::dbAppendTableArrow
#' @export
DBI::dbBindArrow
#' @export
DBI::dbCreateTableArrow
#' @export
DBI::dbFetchArrow
#' @export
DBI::dbFetchArrowChunk
#' @export
DBI::dbGetQueryArrow
#' @export
DBI::dbReadTableArrow
#' @export
DBI::dbSendQueryArrow
#' @export
DBI::dbWriteTableArrow
