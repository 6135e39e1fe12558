# IRLS for every family (glm-families.R) as glm.fit() iterates: one grouped pass of weighted
# moments per iteration, the weights and working response of each row computed by Spark from the
# previous coefficients.

# IRLS as glm.fit() iterates, one grouped pass per iteration (after the pass that found the
# levels, passes counts it too): the weights and working response of each row from the previous
# coefficients, their weighted moments grouped by the categorical values.
fit_sql <- function(design, layout, entry, epsilon, maxit) {
  sql <- entry$sql
  p <- nrow(design$columns)
  q <- length(layout$numeric_parts)
  base <- design_sql(design, layout$select)
  # The rows of one pass: the linear predictor from the coefficients srs_b0 ... srs_bp (or the
  # family's start without them), then the mean, the working weight and response, the deviance;
  # `more` are further constants the pass's aggregates use.
  # Spark writes literals into the code it generates, so the numbers come as fields of one
  # struct (with_constants()): every pass after the second runs the same code.
  pass_from <- function(beta, shift, more = NULL) {
    eta <- sql$start_eta("srs_y", "srs_pw")
    if (!is.null(beta)) {
      eta <- linear
      # An aliased column's coefficient (NA) adds nothing.
      beta[is.na(beta) & !is.nan(beta)] <- 0
      names(beta) <- c(if (design$intercept) "srs_b0", sprintf("srs_b%d", seq_len(p)))
    }
    constants <- c(beta, stats::setNames(shift, c(sprintf("srs_s%d", seq_len(q)), "srs_s0")), more)
    rows <- with_constants(base, vapply(constants, number, character(1)))
    with_eta <- sprintf("SELECT *, %s AS srs_eta FROM (%s) srs_constant_rows", eta, rows)
    with_mu <- sprintf("SELECT *, %s AS srs_mu FROM (%s) srs_eta_rows", sql$mu("srs_eta"), with_eta)
    sprintf(
      "SELECT *, %s AS srs_w, %s AS srs_z, %s AS srs_dev FROM (%s) srs_mu_rows",
      irls_weight_sql(entry, "srs_mu", "srs_eta", "srs_pw"),
      irls_working_sql(entry, "srs_eta", "srs_y", "srs_mu"),
      sql$deviance("srs_y", "srs_mu", "srs_pw"),
      with_mu
    )
  }
  linear_terms <- c(
    if (design$intercept) "srs_b0",
    if (p > 0L) sprintf("srs_b%d * c%d", seq_len(p), seq_len(p))
  )
  linear <- if (length(linear_terms) == 0L) "0.0D" else paste(linear_terms, collapse = " + ")
  if (identical(entry, GLM_FAMILIES$gaussian)) {
    moments <- grouped_moments(design, layout, pass_from(NULL, rep(0, q + 1L)), rep(0, q + 1L))
    return(finish_gaussian(moments, design, passes = 2L))
  }
  # The Pearson statistic at the coefficients a pass starts from, for families whose dispersion
  # summary.glm() estimates from it.
  pearson <- if (entry$dispersion == "pearson") {
    sprintf("SUM(%s) AS srs_pearson", pearson_sql(entry, "srs_y", "srs_mu", "srs_pw"))
  }
  checks <- c(
    "MIN(srs_y) AS srs_min_y", "MAX(srs_y) AS srs_max_y", "SUM(srs_pw * srs_y) AS srs_swy",
    "SUM(srs_pw) AS srs_spw"
  )
  shift <- rep(0, q + 1L)
  beta <- NULL
  previous <- NULL
  null_deviance <- NA_real_
  for (pass in seq_len(maxit + 1L)) {
    null_dev <- if (pass == 2L) {
      sprintf("SUM(%s) AS srs_null_dev", sql$deviance("srs_y", null_mu, "srs_pw"))
    }
    extra <- c("SUM(srs_dev) AS srs_dev", pearson, if (pass == 1L) checks, null_dev)
    from <- pass_from(beta, shift, if (pass == 2L) c(srs_null_eta = null_eta))
    moments <- grouped_moments(design, layout, from, shift, extra)
    if (pass == 1L) {
      check_response(entry, moments$row)
      mean_y <- moments$row[["srs_swy"]] / moments$row[["srs_spw"]]
      null_eta <- if (design$intercept) entry$family$linkfun(mean_y) else 0
      null_mu <- sql$mu("srs_null_eta")
    }
    if (pass == 2L) null_deviance <- moments$row[["srs_null_dev"]]
    deviance <- moments$row[["srs_dev"]]
    if (!is.finite(deviance)) stop("the fit diverged (the deviance is not finite); check the data and the formula", call. = FALSE)
    # This pass measured the deviance of the previous coefficients: glm.fit() stops there when
    # it changed by less than epsilon, and returns those coefficients.
    change <- if (is.null(previous)) Inf else abs(deviance - previous$deviance_before)
    if (change / (abs(deviance) + 0.1) < epsilon) {
      return(finish_irls(previous$solved, previous$moments, design, entry,
        deviance = deviance, null_deviance = null_deviance, pearson = moments$row[["srs_pearson"]],
        iterations = pass - 1L, converged = TRUE, passes = pass + 1L
      ))
    }
    solved <- solve_moments(moments, design)
    previous <- list(solved = solved, moments = moments, deviance_before = deviance)
    # The next pass's sums are taken around this pass's weighted means.
    shift <- moments$shift
    beta <- solved$coefficients
  }
  warning("the IRLS iterations did not converge in ", maxit, " steps", call. = FALSE)
  finish_irls(previous$solved, previous$moments, design, entry,
    deviance = NA_real_, null_deviance = null_deviance, pearson = moments$row[["srs_pearson"]],
    iterations = maxit, converged = FALSE, passes = maxit + 2L
  )
}

check_response <- function(entry, row) {
  problem <- entry$check(row[["srs_min_y"]], row[["srs_max_y"]])
  if (!is.null(problem)) stop(problem, call. = FALSE)
}

# A fit by IRLS: the family's dispersion (1, or the Pearson statistic over the residual degrees
# of freedom, as summary.glm() estimates it).
finish_irls <- function(solved, moments, design, entry, deviance, null_deviance, pearson,
                        iterations, converged, passes) {
  df_residual <- moments$n_ok - solved$rank
  dispersion <- switch(entry$dispersion,
    one = 1,
    pearson = if (df_residual > 0) pearson / df_residual else NaN
  )
  new_fit(solved,
    dispersion = dispersion, deviance = deviance, null_deviance = null_deviance,
    df_residual = df_residual, df_null = moments$n_ok - design$intercept, rows = moments$n_ok,
    iterations = iterations, converged = converged, method = "sql", passes = passes,
    statistic = if (entry$dispersion == "one") "z" else "t"
  )
}
