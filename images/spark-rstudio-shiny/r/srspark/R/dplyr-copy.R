# dplyr's copy_to() for this connection. dbplyr's own Spark SQL method would inline the rows as
# a VALUES list in the query text; this one copies them column by column (dbWriteTable) and
# returns the lazy table, so copy_to(con, df, "name") |> filter(...) works as on any backend.

#' @rawNamespace S3method(copy_to, "Spark SQL")
#' @noRd
`copy_to.Spark SQL` <- function(dest, df, name = deparse(substitute(df)), overwrite = FALSE, temporary = TRUE, ...) {
  force(name)
  if (!is.data.frame(df)) stop("copy_to() needs a data frame, got ", paste(class(df), collapse = "/"), call. = FALSE)
  name <- table_name(name)
  dbWriteTable(dest, name, as.data.frame(df), overwrite = overwrite, temporary = temporary)
  dplyr::tbl(dest, name)
}
