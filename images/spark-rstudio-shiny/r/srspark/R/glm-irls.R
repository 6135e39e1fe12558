# IRLS for every family (glm-families.R) as glm.fit() iterates: one grouped pass of weighted
# moments per iteration, the weights and working response of each row computed by Spark from the
# previous coefficients. The iterations start from glm.fit()'s on a sample of the rows, so that
# the full data takes two or three Newton steps; the first of them also finds the levels of all
# the rows, checks the response and sums the null model's deviance.

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
    fit <- fit_sql(design_with_levels(terms, levels), layout, entry, epsilon, maxit)
    fit$passes <- fit$passes + 1L
    return(fit)
  }
  # Two passes before the iterations: a count of the source's rows and the sample.
  sample <- draw_sample(terms, layout, count_source_rows(terms))
  design <- sample_design(terms, sample)
  start <- if (!is.null(design)) start_from_sample(sample, design, layout, entry)
  if (!is.null(start)) {
    # The design of the sample's levels; the first iteration makes the one of all the rows'.
    complete <- function(key_values) {
      design_with_levels(terms, list(levels = levels_of(key_values), rows = NA_real_))
    }
    fit <- fit_sql(design, layout, entry, epsilon, maxit, start = start, complete = complete)
  } else {
    # No design from the sample (a variable with one value there, or no rows) or no fit on it: a
    # first pass finds the levels, and the sample's rows are tried again on their design.
    first <- first_pass(terms, layout, entry)
    if (is.null(design)) start <- start_from_sample(sample, first$design, layout, entry)
    fit <- fit_sql(first$design, layout, entry, epsilon, maxit,
      null_eta = first$null_eta, null_deviance = first$null_deviance, start = start
    )
    fit$passes <- fit$passes + 1L
  }
  fit$passes <- fit$passes + 2L
  fit
}

# Each categorical variable's values, sorted as R sorts text in the C locale.
levels_of <- function(key_values) {
  lapply(key_values, function(values) sort(unique(values), method = "radix"))
}

# One pass of plain aggregates grouped by the categorical values: the levels (the groups' keys),
# the design, the response's range (checked against the family) and its weighted mean, from
# which the null model's linear predictor and, with the sums of the family's `null` parts, its
# deviance.
first_pass <- function(terms, layout, entry) {
  response <- response_as_double(terms, list())
  weights <- weights_as_double(terms)
  rows <- model_rows_sql(terms$source, terms$where, layout$select, response, weights)
  groups <- nonempty_groups(fetch_groups(layout, rows, c(
    "COUNT(*) AS n", "MIN(srs_y) AS srs_min_y", "MAX(srs_y) AS srs_max_y",
    "SUM(srs_pw * srs_y) AS srs_swy", "SUM(srs_pw) AS srs_spw",
    sprintf("SUM(srs_pw * %s) AS srs_swh", entry$null$h("srs_y"))
  )))
  total <- function(name, f = sum) f(as.numeric(groups[[name]]))
  row <- c(
    srs_min_y = total("srs_min_y", min), srs_max_y = total("srs_max_y", max),
    srs_swy = total("srs_swy"), srs_spw = total("srs_spw"), srs_swh = total("srs_swh")
  )
  null <- null_model(entry, attr(terms$tt, "intercept") == 1L, row)
  design <- design_with_levels(terms, list(
    levels = levels_of(group_keys(groups, layout$categorical)), rows = total("n")
  ))
  list(design = design, null_eta = null$eta, null_deviance = null$deviance)
}

# The response's range checked against the family, and the null model (its linear predictor and
# deviance) from the sums of a pass (`row`: srs_min_y, srs_max_y, srs_swy, srs_spw, srs_swh).
null_model <- function(entry, intercept, row) {
  check_response(entry, row)
  eta <- if (intercept) entry$family$linkfun(row[["srs_swy"]] / row[["srs_spw"]]) else 0
  deviance <- sum_null_deviance(
    entry, entry$family$linkinv(eta), row[["srs_swh"]], row[["srs_swy"]], row[["srs_spw"]]
  )
  list(eta = eta, deviance = deviance)
}

# The rows of the model's source, before the complete-case filter (Spark reads no column of a
# file or table for them; a view's generators still run per row). They set the sample's share.
count_source_rows <- function(terms) {
  out <- spark_reader(spark_sql(sprintf("SELECT COUNT(*) AS n FROM (%s) srs_count_rows", terms$source)))$fetch()
  as.numeric(out$n)
}

# The share of the rows a sample draws: start_sample_rows() of `rows`, rounded up to a power of
# 2^(1/4) (at most 19% more rows), so that the few values it takes each compile once in Spark.
sample_fraction <- function(rows) {
  if (rows <= 0) return(1)
  min(1, 2^(ceiling(4 * log2(start_sample_rows(rows) / rows)) / 4))
}

# About start_sample_rows() complete rows drawn at random (all of them for smaller data): their
# keys (as text), numeric parts, response and (when there are any) prior weights, and the keys'
# values by categorical variable, as group_keys() writes them.
draw_sample <- function(terms, layout, rows) {
  fraction <- sample_fraction(rows)
  # The draw comes first, on the source's rows, so that Spark computes the model's columns for
  # the drawn rows only: half the time of drawing among the complete rows, at 10^7 rows.
  source <- if (fraction < 1) {
    sprintf("SELECT * FROM (%s) srs_source WHERE rand(7) < %s", terms$source, number(fraction))
  } else {
    terms$source
  }
  weighted <- !is.null(terms$weights)
  keep <- c(
    sprintf("g%d", seq_along(layout$categorical)), sprintf("u%d", seq_along(layout$numeric_parts)),
    "srs_y", if (weighted) "srs_pw"
  )
  rows_sql <- model_rows_sql(source, terms$where, layout$select,
    response_as_double(terms, list()), weights_as_double(terms)
  )
  frame <- spark_reader(spark_sql(sprintf(
    "SELECT %s FROM (%s) srs_sample_rows", paste(keep, collapse = ", "), rows_sql
  )))$fetch()
  list(frame = frame, key_values = group_keys(frame, layout$categorical), weighted = weighted)
}

# The design of the sample's own levels, or NULL when it has none (no rows, or a variable with
# one value there).
sample_design <- function(terms, sample) {
  if (nrow(sample$frame) == 0L) return(NULL)
  tryCatch(
    design_with_levels(terms, list(
      levels = levels_of(sample$key_values), rows = nrow(sample$frame)
    )),
    error = function(e) NULL
  )
}

# Coefficients to start IRLS from: glm.fit()'s iterations (sample_irls()) on the sample's rows,
# their model matrix built in R from the keys and numeric parts as combine_groups() builds the
# moments, for `design` (the sample's levels or all the rows'). NULL when that fit fails or does
# not converge: the family's own start then.
start_from_sample <- function(sample, design, layout, entry) {
  frame <- sample$frame
  if (nrow(frame) == 0L) return(NULL)
  on <- columns_on(design, sample$key_values, nrow(frame))
  part <- column_parts(design, layout)
  q <- length(layout$numeric_parts)
  u <- matrix(1, nrow(frame), q + 1L)
  for (k in seq_len(q)) u[, k + 1L] <- as.numeric(frame[[sprintf("u%d", k)]])
  x <- on * u[, part + 1L, drop = FALSE]
  if (design$intercept) x <- cbind(1, x)
  y <- as.numeric(frame$srs_y)
  weights <- if (sample$weighted) as.numeric(frame$srs_pw) else rep(1, nrow(frame))
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
  # On many rows, the iterations start from the fit on every tenth of them, the same way: two or
  # three steps on all of them instead of five to eight (half the time on 500,000 rows).
  eta <- NULL
  if (length(y) > 50000L) {
    every <- seq.int(1L, length(y), by = 10L)
    beta <- sample_irls(x[every, , drop = FALSE], y[every], weights[every], family, epsilon, maxit)
    if (!is.null(beta)) eta <- drop(x %*% beta)
  }
  if (is.null(eta) || !all(is.finite(eta))) eta <- family$linkfun(start$mustart)
  y <- start$y
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
# values. The passes start from `start` (NULL: the family's start), and go back to the family's
# start when the deviance there is above the null model's. Without `null_eta` and
# `null_deviance` (the null model's, from first_pass()), the first pass checks the response and
# sums the null model's deviance too; with `complete` (a function of the key values the pass
# finds, giving the design of all the rows' levels), `design` is of a sample's levels, and the
# first pass makes the one of all the rows (its coefficients are then of other columns than
# `start`'s).
fit_sql <- function(design, layout, entry, epsilon, maxit, null_eta = NULL,
                    null_deviance = NULL, start = NULL, complete = NULL) {
  sql <- entry$sql
  q <- length(layout$numeric_parts)
  # The rows of one pass: the linear predictor from the coefficients srs_b0 ... srs_bp (or the
  # family's start without them), then the mean and its derivative (each transcendental function
  # once), the working weight and response, the deviance.
  # Spark writes literals into the code it generates, so the numbers come as fields of one
  # struct (with_constants()): every pass after the second runs the same code.
  pass_from <- function(beta, shift) {
    eta <- sql$start_eta("srs_y", "srs_pw")
    if (!is.null(beta)) {
      p <- nrow(design$columns)
      linear <- c(
        if (design$intercept) "srs_b0",
        if (p > 0L) sprintf("srs_b%d * c%d", seq_len(p), seq_len(p))
      )
      eta <- if (length(linear) == 0L) "0.0D" else paste(linear, collapse = " + ")
      # An aliased column's coefficient (NA) adds nothing.
      beta[is.na(beta) & !is.nan(beta)] <- 0
      names(beta) <- c(if (design$intercept) "srs_b0", sprintf("srs_b%d", seq_len(p)))
    }
    constants <- c(beta, stats::setNames(shift, c(sprintf("srs_s%d", seq_len(q)), "srs_s0")))
    values <- vapply(constants, number, character(1))
    rows <- with_constants(design_sql(design, layout$select), values)
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
  if (identical(entry, GLM_FAMILIES$gaussian)) {
    moments <- grouped_moments(design, layout, pass_from(NULL, rep(0, q + 1L)), rep(0, q + 1L))
    fit <- finish_gaussian(moments, design, passes = 1L)
    fit$design <- design
    return(fit)
  }
  # The Pearson statistic at the coefficients a pass starts from, for families whose dispersion
  # summary.glm() estimates from it.
  pearson <- if (entry$dispersion == "pearson") {
    sprintf("SUM(%s) AS srs_pearson", pearson_sql(entry, "srs_y", "srs_mu", "srs_pw"))
  }
  # The response's range, and the sums of the null model's deviance (the family's `null` parts).
  checks <- c(
    "MIN(srs_y) AS srs_min_y", "MAX(srs_y) AS srs_max_y", "SUM(srs_pw * srs_y) AS srs_swy",
    "SUM(srs_pw) AS srs_spw", sprintf("SUM(srs_pw * %s) AS srs_swh", entry$null$h("srs_y"))
  )
  shift <- rep(0, q + 1L)
  beta <- start
  previous <- NULL
  passes <- 0L
  iterations <- 0L
  while (iterations <= maxit) {
    passes <- passes + 1L
    first <- is.null(null_eta)
    extra <- c("SUM(srs_dev) AS srs_dev", pearson, if (first) checks)
    moments <- grouped_moments(
      if (first && !is.null(complete)) complete else design, layout, pass_from(beta, shift),
      shift, extra
    )
    if (first) {
      null <- null_model(entry, design$intercept, moments$row)
      null_eta <- null$eta
      null_deviance <- null$deviance
    }
    # Whether `beta` is of this pass's design: not when the pass found levels the sample lacked.
    comparable <- identical(moments$design$columns$name, design$columns$name)
    design <- moments$design
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
    decrement <- if (is.null(beta) || !comparable) {
      Inf
    } else {
      newton_decrement(solved, beta, moments, design)
    }
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
  fit <- new_fit(solved,
    dispersion = dispersion, deviance = deviance, null_deviance = null_deviance,
    df_residual = df_residual, df_null = moments$n_ok - design$intercept, rows = moments$n_ok,
    iterations = iterations, converged = converged, method = "sql", passes = passes,
    statistic = if (entry$dispersion == "one") "z" else "t"
  )
  fit$design <- design
  fit
}
