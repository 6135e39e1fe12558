# The fallback for ill-conditioned designs: MLlib's GeneralizedLinearRegression (its own IRLS,
# with a QR-free weighted least squares) with the family's MLlib name and link.
fit_mllib <- function(design, entry) {
  p <- nrow(design$columns)
  if (p == 0L) {
    stop("an intercept-only model has nothing for MLlib to fit; use method = \"sql\"", call. = FALSE)
  }
  s <- spark_parts()
  b <- s$bridge
  answer <- tryCatch(
    b$jstatic(
      s$handle, "org.sparkrstudioshiny.srspark.GlmFallback", "fit", spark_sql(design_sql(design)),
      p, entry$mllib[["family"]], entry$mllib[["link"]], design$intercept,
      !is.null(design$weights), 1e-10, 100L
    ),
    error = function(e) {
      stop("Spark MLlib could not fit the model: ", spark_error_message(e), call. = FALSE)
    }
  )
  values <- readBin(b$raw_out(answer), "double", 2L * p + 7L, size = 8L, endian = "little")
  names <- c(if (design$intercept) "(Intercept)", design$columns$name)
  keep <- if (design$intercept) seq_len(p + 1L) else 1L + seq_len(p)
  coefficients <- stats::setNames(values[keep], names)
  se <- stats::setNames(values[p + 1L + keep], names)
  rows <- values[[2L * p + 6L]]
  df_residual <- values[[2L * p + 5L]]
  statistic <- if (entry$dispersion == "one") "z" else "t"
  value <- coefficients / se
  list(
    coefficients = coefficients, std_errors = se, statistic = value, statistic_name = statistic,
    p_values = if (statistic == "t") {
      2 * stats::pt(-abs(value), df_residual)
    } else {
      2 * stats::pnorm(-abs(value))
    },
    cov = diag(se^2, nrow = length(se)), dispersion = values[[2L * p + 7L]],
    deviance = values[[2L * p + 3L]], null_deviance = values[[2L * p + 4L]],
    df_residual = df_residual, df_null = rows - design$intercept, rows = rows,
    rank = length(names), iterations = NA_integer_, converged = TRUE, method = "mllib",
    passes = NA_integer_, condition = NA_real_
  )
}
