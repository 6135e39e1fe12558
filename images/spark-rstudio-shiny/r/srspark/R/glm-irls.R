# IRLS for every family (glm-families.R) as glm.fit() iterates: one grouped pass of weighted
# moments per iteration, the weights and working response of each row computed by Spark from the
# previous coefficients. A first, plain pass finds the levels and checks the response; the
# iterations start from glm.fit() on a sample of the rows, so that the full data takes two or
# three Newton steps.

# Rows of the sample a fit starts from: enough for coefficients close to the full data's, which
# two or three Newton steps make exact. The deviance left after one step falls with the square
# of the start's, which falls as the sample grows, while glm.fit()'s test is relative to the
# deviance, which grows with the rows. From a twentieth of the rows (20,000 to 500,000), the
# second pass's step passes that test at 10^7 rows: two passes. At 10^7 rows of the benchmark's
# logistic model the Newton decrements went 680, 0.075 (over the test's 0.046: a third pass)
# from 200,000 rows, and 263, 0.015 from 500,000; Poisson 11.4, 2e-6. At 10^6 rows logistic
# takes three still (0.24 against 0.0046); passes are cheap there.
start_sample_rows <- function(rows) min(500000, max(20000, rows / 20))

# A generalized linear model by IRLS on the rows of `terms` (see model_design()): the fit, its
# design included.
fit_irls <- function(terms, entry, epsilon, maxit) {
  layout <- group_layout(terms)
  if (identical(entry, GLM_FAMILIES$gaussian) || terms$response$kind == "string") {
    # Weighted least squares takes one pass anyway; a text response needs its levels first.
    levels <- model_levels(terms$source, terms$where, terms$info[terms$categorical])
    design <- design_with_levels(terms, levels)
    fit <- fit_sql(design, layout, entry, epsilon, maxit)
    fit$passes <- fit$passes + 1L
  } else {
    first <- first_pass(terms, layout, entry)
    design <- first$design
    start <- sample_start(design, layout, entry, first$rows)
    fit <- fit_sql(design, layout, entry, epsilon, maxit,
      null_eta = first$null_eta, null_deviance = first$null_deviance, start = start
    )
    fit$passes <- fit$passes + 2L
  }
  fit$design <- design
  fit
}

# One pass of plain aggregates grouped by the categorical values: the levels (the groups' keys),
# the design, the response's range (checked against the family) and its weighted mean, from
# which the null model's linear predictor and, with the sums of the family's `null` parts, its
# deviance (which the first iteration would otherwise compute row by row, a third of its time).
first_pass <- function(terms, layout, entry) {
  response <- response_as_double(terms, list())
  weights <- weights_as_double(terms)
  rows <- model_rows_sql(terms$source, terms$where, layout$select, response, weights)
  groups <- nonempty_groups(fetch_groups(layout, rows, c(
    "COUNT(*) AS n", "MIN(srs_y) AS srs_min_y", "MAX(srs_y) AS srs_max_y",
    "SUM(srs_pw * srs_y) AS srs_swy", "SUM(srs_pw) AS srs_spw",
    sprintf("SUM(srs_pw * %s) AS srs_swh", entry$null$h("srs_y"))
  )))
  check_response(entry, c(
    srs_min_y = min(as.numeric(groups$srs_min_y)), srs_max_y = max(as.numeric(groups$srs_max_y))
  ))
  key_values <- group_keys(groups, layout$categorical)
  levels <- lapply(key_values, function(values) sort(unique(values), method = "radix"))
  n <- sum(as.numeric(groups$n))
  design <- design_with_levels(terms, list(levels = levels, rows = n))
  total <- function(name) sum(as.numeric(groups[[name]]))
  mean_y <- total("srs_swy") / total("srs_spw")
  null_eta <- if (design$intercept) entry$family$linkfun(mean_y) else 0
  null_deviance <- sum_null_deviance(
    entry, entry$family$linkinv(null_eta), total("srs_swh"), total("srs_swy"), total("srs_spw")
  )
  list(design = design, rows = n, null_eta = null_eta, null_deviance = null_deviance)
}

# Coefficients to start IRLS from: glm.fit()'s iterations (sample_irls()) on about
# start_sample_rows() rows drawn at random (all of them for smaller data), their model matrix
# built in R from the keys and numeric parts as combine_groups() builds the moments. NULL when
# that fit fails or does not converge: the family's own start then.
sample_start <- function(design, layout, entry, rows) {
  fraction <- min(1, start_sample_rows(rows) / rows)
  # The fraction is a constant of the rows, not a literal: every fit runs the same code.
  from <- with_constants(design_sql(design, layout$select), c(srs_fraction = number(fraction)))
  q <- length(layout$numeric_parts)
  # Without prior weights every row's is 1: not sent (one column less to transfer).
  weighted <- !is.null(design$weights)
  # The keys as their levels' numbers when every key has at most 64 levels: as text they cost
  # about as much to transfer as the rest of the sample.
  labels <- names(layout$categorical)
  levels <- lapply(design$categorical[labels], `[[`, "levels")
  coded <- all(lengths(levels) <= 64L)
  keys <- sprintf("g%d", seq_along(labels))
  if (coded) {
    # As the keys write them: a logical's levels are TRUE and FALSE, its text true and false.
    written <- Map(function(values, variable) {
      paste(quote_text(if (variable$kind == "logical") tolower(values) else values), collapse = ", ")
    }, levels, layout$categorical)
    keys <- sprintf("array_position(array(%s), %s) AS %s", unlist(written), keys, keys)
  }
  keep <- c(keys, sprintf("u%d", seq_len(q)), "srs_y", if (weighted) "srs_pw")
  sample <- spark_reader(spark_sql(sprintf(
    "SELECT %s FROM (%s) srs_sample_rows WHERE rand(7) < srs_fraction",
    paste(keep, collapse = ", "), from
  )))$fetch()
  if (nrow(sample) == 0L) return(NULL)
  key_values <- if (coded) {
    stats::setNames(Map(function(values, k) {
      values[as.integer(sample[[sprintf("g%d", k)]])]
    }, levels, seq_along(labels)), labels)
  } else {
    group_keys(sample, layout$categorical)
  }
  # A number 0 is a value the design has no level for: no start from this sample.
  if (any(lengths(key_values) != nrow(sample))) return(NULL)
  on <- columns_on(design, key_values, nrow(sample))
  part <- column_parts(design, layout)
  u <- matrix(1, nrow(sample), q + 1L)
  for (k in seq_len(q)) u[, k + 1L] <- as.numeric(sample[[sprintf("u%d", k)]])
  x <- on * u[, part + 1L, drop = FALSE]
  if (design$intercept) x <- cbind(1, x)
  y <- as.numeric(sample$srs_y)
  weights <- if (weighted) as.numeric(sample$srs_pw) else rep(1, nrow(sample))
  beta <- tryCatch(
    suppressWarnings(sample_irls(x, y, weights, entry$family)),
    error = function(e) NULL
  )
  if (is.null(beta) || !all(is.finite(beta))) return(NULL)
  beta
}

# glm.fit()'s iterations on rows in R (x the model matrix, y, prior weights, a stats family),
# each step solved from the normal equations (X'WX by crossprod(), then a pivoting QR of that
# p x p matrix; aliased columns 0) instead of a QR of the whole weighted matrix: about half
# glm.fit()'s time on a 500,000-row sample, and the same coefficients within 1e-12 where
# measured. The coefficients, or NULL when the deviance is not finite or it does not converge
# (a start need not come from every sample: the family's own is the fallback).
sample_irls <- function(x, y, weights, family, epsilon = 1e-8, maxit = 25L) {
  # The family's own start, as glm.fit() evaluates it (binomial's may rewrite y).
  start <- list2env(list(
    y = y, weights = weights, nobs = length(y), etastart = NULL, mustart = NULL, start = NULL,
    n = NULL
  ))
  eval(family$initialize, start)
  y <- start$y
  eta <- family$linkfun(start$mustart)
  mu <- family$linkinv(eta)
  deviance <- sum(family$dev.resids(y, mu, weights))
  for (iteration in seq_len(maxit)) {
    # The links srs_glm() fits clamp mu.eta() away from 0.
    mu_eta <- family$mu.eta(eta)
    root_w <- sqrt(weights / family$variance(mu)) * mu_eta
    # X'WX as the cross-product of one matrix (symmetric: half the work of crossprod(x * w, x)).
    xs <- x * root_w
    z <- eta + (y - mu) / mu_eta
    beta <- qr.coef(qr(crossprod(xs), tol = 1e-11), crossprod(xs, root_w * z))
    beta[is.na(beta)] <- 0
    eta <- drop(x %*% beta)
    mu <- family$linkinv(eta)
    previous <- deviance
    deviance <- sum(family$dev.resids(y, mu, weights))
    if (!is.finite(deviance)) return(NULL)
    if (abs(deviance - previous) / (abs(deviance) + 0.1) < epsilon) return(drop(beta))
  }
  NULL
}

# IRLS as glm.fit() iterates, one grouped pass per iteration: the weights and working response of
# each row from the previous coefficients, their weighted moments grouped by the categorical
# values. Without `null_eta`, the first pass checks the response too and starts from the
# family's start; with it, the passes start from `start` (NULL: the family's start), and go back
# to the family's start when the deviance there is above the null model's (`null_deviance`, or
# computed by the first pass when NA).
fit_sql <- function(design, layout, entry, epsilon, maxit, null_eta = NULL,
                    null_deviance = NA_real_, start = NULL) {
  sql <- entry$sql
  p <- nrow(design$columns)
  q <- length(layout$numeric_parts)
  base <- design_sql(design, layout$select)
  # The rows of one pass: the linear predictor from the coefficients srs_b0 ... srs_bp (or the
  # family's start without them), then the mean and its derivative (each transcendental function
  # once), the working weight and response, the deviance; `more` are further constants the
  # pass's aggregates use.
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
    rows <- sprintf("SELECT *, %s AS srs_eta FROM (%s) srs_constant_rows", eta, rows)
    for (columns in link_rows_sql(entry, "srs_eta")) {
      rows <- sprintf("SELECT *, %s FROM (%s) srs_link_rows", paste(columns, "AS", names(columns), collapse = ", "), rows)
    }
    sprintf(
      "SELECT *, %s AS srs_w, %s AS srs_z, %s AS srs_dev FROM (%s) srs_mu_rows",
      irls_weight_sql(entry, "srs_mu", "srs_mu_eta", "srs_pw"),
      irls_working_sql(entry, "srs_eta", "srs_y", "srs_mu", "srs_mu_eta"),
      sql$deviance("srs_y", "srs_mu", "srs_pw"),
      rows
    )
  }
  linear_terms <- c(
    if (design$intercept) "srs_b0",
    if (p > 0L) sprintf("srs_b%d * c%d", seq_len(p), seq_len(p))
  )
  linear <- if (length(linear_terms) == 0L) "0.0D" else paste(linear_terms, collapse = " + ")
  if (identical(entry, GLM_FAMILIES$gaussian)) {
    moments <- grouped_moments(design, layout, pass_from(NULL, rep(0, q + 1L)), rep(0, q + 1L))
    return(finish_gaussian(moments, design, passes = 1L))
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
  beta <- start
  previous <- NULL
  passes <- 0L
  iterations <- 0L
  while (iterations <= maxit) {
    passes <- passes + 1L
    with_null <- !is.null(null_eta) && is.na(null_deviance)
    null_dev <- if (with_null) {
      sprintf("SUM(%s) AS srs_null_dev", sql$deviance("srs_y", sql$mu("srs_null_eta"), "srs_pw"))
    }
    extra <- c("SUM(srs_dev) AS srs_dev", pearson, if (is.null(null_eta)) checks, null_dev)
    from <- pass_from(beta, shift, if (with_null) c(srs_null_eta = null_eta))
    moments <- grouped_moments(design, layout, from, shift, extra)
    if (is.null(null_eta)) {
      check_response(entry, moments$row)
      mean_y <- moments$row[["srs_swy"]] / moments$row[["srs_spw"]]
      null_eta <- if (design$intercept) entry$family$linkfun(mean_y) else 0
    }
    if (with_null) null_deviance <- moments$row[["srs_null_dev"]]
    deviance <- moments$row[["srs_dev"]]
    if (!is.null(start) && is.null(previous) && !isTRUE(deviance <= null_deviance)) {
      # The sample's coefficients fit the data worse than the null model: the family's start.
      start <- NULL
      beta <- NULL
      next
    }
    if (!is.finite(deviance)) stop("the fit diverged (the deviance is not finite); check the data and the formula", call. = FALSE)
    # This pass measured the deviance of the previous coefficients: glm.fit() stops there when
    # it changed by less than epsilon, and returns those coefficients.
    change <- if (is.null(previous)) Inf else abs(deviance - previous$deviance_before)
    if (change / (abs(deviance) + 0.1) < epsilon) {
      return(finish_irls(previous$solved, previous$moments, design, entry,
        deviance = deviance, null_deviance = null_deviance, pearson = moments$row[["srs_pearson"]],
        iterations = iterations, converged = TRUE, passes = passes
      ))
    }
    solved <- solve_moments(moments, design)
    # Or when the step this pass's moments give would lower the deviance by less than epsilon
    # (its Newton decrement): the step is taken, as glm.fit() takes its last one, and the
    # deviance it reaches is the one measured here less the decrement (exact to the third order
    # of a step already this small), which saves the pass that would only confirm it.
    decrement <- if (is.null(beta)) Inf else newton_decrement(solved, beta, moments, design)
    if (decrement / (abs(deviance) + 0.1) < epsilon) {
      return(finish_irls(solved, moments, design, entry,
        deviance = deviance - decrement, null_deviance = null_deviance,
        pearson = moments$row[["srs_pearson"]], iterations = iterations + 1L, converged = TRUE,
        passes = passes
      ))
    }
    if (iterations == maxit) break
    iterations <- iterations + 1L
    previous <- list(solved = solved, moments = moments, deviance_before = deviance)
    # The next pass's sums are taken around this pass's weighted means.
    shift <- moments$shift
    beta <- solved$coefficients
  }
  warning("the IRLS iterations did not converge in ", maxit, " steps", call. = FALSE)
  finish_irls(previous$solved, previous$moments, design, entry,
    deviance = NA_real_, null_deviance = null_deviance, pearson = moments$row[["srs_pearson"]],
    iterations = maxit, converged = FALSE, passes = passes
  )
}

# How much the step from `beta` to the coefficients `solved` from the same pass's moments lowers
# the deviance, to second order: the step's squared length in the weighted cross-products
# (centred ones plus the intercept's share, or raw ones without an intercept).
newton_decrement <- function(solved, beta, moments, design) {
  step <- unname(solved$coefficients) - unname(beta)
  step[is.na(step)] <- 0
  slopes <- if (design$intercept) step[-1] else step
  decrement <- sum(slopes * drop(moments$xx %*% slopes))
  if (design$intercept) {
    decrement <- decrement + moments$sw * (step[[1]] + sum(moments$mean * slopes))^2
  }
  decrement
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
