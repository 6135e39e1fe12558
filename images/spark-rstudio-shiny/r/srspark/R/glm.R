# Generalized linear models on any table, fitted from sufficient statistics: Spark computes, in
# one aggregate pass, the (weighted, centred) cross-products of the model matrix columns and the
# response; R solves the small p x p system. Gaussian models take one pass; binomial and poisson
# take one pass per IRLS iteration, exactly as glm.fit() iterates. A design too ill-conditioned
# for the normal equations falls back to Spark MLlib.

GLM_FAMILIES <- c("gaussian", "binomial", "poisson")
CANONICAL_LINK <- c(gaussian = "identity", binomial = "logit", poisson = "log")
# A column whose squared residual norm (after the columns before it) is below this fraction of
# its own is aliased: its coefficient is NA, as glm() reports it.
ALIAS_TOLERANCE <- 1e-11
# Beyond this condition number (of the correlation matrix of the columns), the normal equations
# lose more than about 6 of the 16 digits: "auto" hands the fit to MLlib.
MAX_CONDITION <- 1e10
DBL_EPSILON <- .Machine$double.eps

check_family <- function(family) {
  if (is.function(family)) family <- family()
  if (is.character(family) && length(family) == 1L) {
    if (!family %in% GLM_FAMILIES) stop("family must be one of ", paste(GLM_FAMILIES, collapse = ", "), ", got \"", family, "\"", call. = FALSE)
    family <- get(family, envir = asNamespace("stats"))()
  }
  if (!inherits(family, "family") || !family$family %in% GLM_FAMILIES) {
    stop("family must be gaussian, binomial or poisson", call. = FALSE)
  }
  if (!identical(family$link, CANONICAL_LINK[[family$family]])) {
    stop("the ", family$family, " family is fitted with its canonical link (", CANONICAL_LINK[[family$family]], "), not ", family$link, call. = FALSE)
  }
  family
}

number <- function(x) {
  if (!is.finite(x)) stop("the fit diverged (a coefficient is not finite); check the data and the formula", call. = FALSE)
  sprintf("%.17gD", x)
}

# SQL of each family's pieces, as glm.fit() computes them (same clamps as R's C code).
family_sql <- function(family) {
  switch(family,
    gaussian = list(
      start_eta = function(y, pw) y,
      mu = function(eta) eta,
      weight = function(mu, eta, pw) pw,
      working = function(eta, y, mu) y,
      deviance = function(y, mu, pw) sprintf("%s * (%s - %s) * (%s - %s)", pw, y, mu, y, mu)
    ),
    binomial = list(
      start_eta = function(y, pw) {
        mu <- sprintf("((%s * %s + 0.5D) / (%s + 1.0D))", pw, y, pw)
        sprintf("LN(%s / (1.0D - %s))", mu, mu)
      },
      mu = function(eta) {
        e <- sprintf("(CASE WHEN %1$s < -30.0D THEN %2$s WHEN %1$s > 30.0D THEN %3$s ELSE EXP(%1$s) END)", eta, number(DBL_EPSILON), number(1 / DBL_EPSILON))
        sprintf("(%1$s / (1.0D + %1$s))", e)
      },
      weight = function(mu, eta, pw) {
        mu_eta <- sprintf("(CASE WHEN %1$s < -30.0D OR %1$s > 30.0D THEN %2$s ELSE EXP(%1$s) / ((1.0D + EXP(%1$s)) * (1.0D + EXP(%1$s))) END)", eta, number(DBL_EPSILON))
        sprintf("(%s * %s * %s / (%s * (1.0D - %s)))", pw, mu_eta, mu_eta, mu, mu)
      },
      working = function(eta, y, mu) {
        mu_eta <- sprintf("(CASE WHEN %1$s < -30.0D OR %1$s > 30.0D THEN %2$s ELSE EXP(%1$s) / ((1.0D + EXP(%1$s)) * (1.0D + EXP(%1$s))) END)", eta, number(DBL_EPSILON))
        sprintf("(%s + (%s - %s) / %s)", eta, y, mu, mu_eta)
      },
      deviance = function(y, mu, pw) {
        sprintf(
          "2.0D * %1$s * ((CASE WHEN %2$s > 0.0D THEN %2$s * LN(%2$s / %3$s) ELSE 0.0D END) + (CASE WHEN %2$s < 1.0D THEN (1.0D - %2$s) * LN((1.0D - %2$s) / (1.0D - %3$s)) ELSE 0.0D END))",
          pw, y, mu
        )
      }
    ),
    poisson = list(
      start_eta = function(y, pw) sprintf("LN(%s + 0.1D)", y),
      mu = function(eta) sprintf("GREATEST(EXP(%s), %s)", eta, number(DBL_EPSILON)),
      weight = function(mu, eta, pw) {
        mu_eta <- sprintf("GREATEST(EXP(%s), %s)", eta, number(DBL_EPSILON))
        sprintf("(%s * %s * %s / %s)", pw, mu_eta, mu_eta, mu)
      },
      working = function(eta, y, mu) sprintf("(%s + (%s - %s) / GREATEST(EXP(%s), %s))", eta, y, mu, eta, number(DBL_EPSILON)),
      deviance = function(y, mu, pw) sprintf("2.0D * %1$s * (CASE WHEN %2$s > 0.0D THEN %2$s * LN(%2$s / %3$s) - (%2$s - %3$s) ELSE %3$s END)", pw, y, mu)
    )
  )
}

# The model's columns as c1 ... cp, the response as srs_y and the prior weights as srs_pw.
design_sql <- function(design) {
  columns <- if (nrow(design$columns) > 0L) sprintf("%s AS c%d", design$columns$sql, seq_len(nrow(design$columns))) else character()
  sprintf(
    "SELECT %s FROM (%s) srs_model_data WHERE %s",
    paste(c(columns, paste(design$response, "AS srs_y"), paste(if (is.null(design$weights)) "1.0D" else design$weights, "AS srs_pw")), collapse = ", "),
    design$source, design$where
  )
}

run_aggregates <- function(select, from) {
  out <- spark_reader(spark_sql(sprintf("SELECT %s FROM (%s) srs_pass", paste(select, collapse = ", "), from)))$fetch()
  stats::setNames(as.numeric(unlist(out[1, ], use.names = FALSE)), names(out))
}

pairs_of <- function(p) if (p == 0L) matrix(integer(), 0, 2) else which(upper.tri(diag(p), diag = TRUE), arr.ind = TRUE)

symmetric <- function(values, p) {
  m <- matrix(0, p, p)
  if (p == 0L) return(m)
  ij <- pairs_of(p)
  m[ij] <- values
  m[ij[, 2:1, drop = FALSE]] <- values
  m
}

# Unweighted least squares in one Spark pass: the complete rows grouped by the values of the
# model's categorical variables, each group's count, means and population covariances of the
# terms' numeric parts and of the response (Spark merges them with a numerically stable one-pass
# algorithm). The groups' keys are the levels; a model column is its term's numeric part in the
# groups of its levels and zero elsewhere, so its moments follow in R, and the groups combine
# around the overall means (parallel axes). Returns the design and its moments.
grouped_gaussian <- function(terms) {
  parts <- term_numeric_parts(terms)
  numeric_parts <- unique(parts[parts != "1.0D"])
  q <- length(numeric_parts)
  categorical <- terms$info[terms$categorical]
  keys <- sprintf("g%d", seq_along(categorical))
  ij <- pairs_of(q)
  inner <- c(
    sprintf("CAST(%s AS STRING) AS %s", vapply(categorical, `[[`, character(1), "sql"), keys),
    sprintf("%s AS u%d", numeric_parts, seq_len(q)),
    sprintf("CAST(%s AS DOUBLE) AS srs_y", terms$response$sql)
  )
  select <- c(
    keys, "COUNT(*) AS n", sprintf("AVG(u%d) AS m%d", seq_len(q), seq_len(q)), "AVG(srs_y) AS m_y",
    sprintf("COVAR_POP(u%d, u%d) AS v%d_%d", ij[, 1], ij[, 2], ij[, 1], ij[, 2]),
    sprintf("COVAR_POP(u%d, srs_y) AS vy%d", seq_len(q), seq_len(q)), "VAR_POP(srs_y) AS yy"
  )
  query <- sprintf(
    "SELECT %s FROM (SELECT %s FROM (%s) srs_model_data WHERE %s) srs_rows%s",
    paste(select, collapse = ", "), paste(inner, collapse = ", "), terms$source, terms$where,
    if (length(keys) > 0L) paste(" GROUP BY", paste(keys, collapse = ", ")) else ""
  )
  groups <- spark_reader(spark_sql(query))$fetch()
  groups <- groups[!is.na(groups$n) & groups$n > 0, , drop = FALSE]
  if (nrow(groups) == 0L) stop("no complete rows: every row has a missing value in a column the model uses", call. = FALSE)
  key_values <- lapply(seq_along(categorical), function(k) {
    values <- as.character(groups[[keys[[k]]]])
    if (categorical[[k]]$kind == "logical") toupper(values) else values
  })
  names(key_values) <- names(categorical)
  levels <- lapply(key_values, function(values) sort(unique(values), method = "radix"))
  n <- as.numeric(groups$n)
  design <- design_with_levels(terms, list(levels = levels, rows = sum(n)))

  # Per group: which columns are on (their levels match the group's), and the columns' means and
  # covariances there.
  p <- nrow(design$columns)
  part <- match(parts[design$columns$term], numeric_parts, nomatch = 0L)
  on <- matrix(TRUE, nrow(groups), p)
  for (j in seq_len(p)) {
    for (variable in names(design$cells[[j]])) on[, j] <- on[, j] & key_values[[variable]] == design$cells[[j]][[variable]]
  }
  part_means <- cbind(1, as.matrix(groups[, sprintf("m%d", seq_len(q)), drop = FALSE]))
  means <- on * part_means[, part + 1L, drop = FALSE]
  mean_y <- groups$m_y
  sw <- sum(n)
  intercept <- attr(terms$tt, "intercept") == 1L
  centre <- if (intercept) colSums(n * means) / sw else rep(0, p)
  centre_y <- if (intercept) sum(n * mean_y) / sw else 0
  xx <- matrix(0, p, p)
  xz <- numeric(p)
  part_cov <- matrix(0, q + 1L, q + 1L)
  for (g in seq_len(nrow(groups))) {
    part_cov[-1, -1] <- symmetric(as.numeric(groups[g, sprintf("v%d_%d", ij[, 1], ij[, 2])]), q)
    part_cov_y <- c(0, as.numeric(groups[g, sprintf("vy%d", seq_len(q))]))
    s <- on[g, ]
    d <- means[g, ] - centre
    xx <- xx + n[[g]] * ((outer(s, s) * part_cov[part + 1L, part + 1L, drop = FALSE]) + outer(d, d))
    xz <- xz + n[[g]] * (s * part_cov_y[part + 1L] + d * (mean_y[[g]] - centre_y))
  }
  zz <- sum(n * (groups$yy + (mean_y - centre_y)^2))
  list(design = design, moments = list(sw = sw, n_ok = sw, mean = centre, mean_z = centre_y, xx = xx, xz = xz, zz = zz))
}

# One pass of weighted least squares on the working response srs_z with weights srs_w, the
# cross-products taken around `shift` (the previous pass's weighted means), plus `extra`
# aggregates. Returns centred moments (or raw ones without intercept) and the extras.
weighted_moments <- function(design, from, shift, extra = character()) {
  p <- nrow(design$columns)
  ij <- pairs_of(p)
  around <- function(i) if (i == 0L) sprintf("(srs_z - %s)", number(shift[[p + 1L]])) else sprintf("(c%d - %s)", i, number(shift[[i]]))
  select <- c(
    "COUNT(*) AS n", "SUM(CASE WHEN srs_pw <> 0.0D THEN 1 ELSE 0 END) AS n_ok", "SUM(srs_w) AS sw",
    sprintf("SUM(srs_w * %s) AS a_%d", vapply(c(seq_len(p), 0L), around, character(1)), c(seq_len(p), 0L)),
    sprintf("SUM(srs_w * %s * %s) AS b_%d_%d", vapply(ij[, 1], around, character(1)), vapply(ij[, 2], around, character(1)), ij[, 1], ij[, 2]),
    sprintf("SUM(srs_w * %s * %s) AS b_%d_0", vapply(seq_len(p), around, character(1)), around(0L), seq_len(p)),
    sprintf("SUM(srs_w * %s * %s) AS b_0_0", around(0L), around(0L)),
    extra
  )
  row <- run_aggregates(select, from)
  sw <- row[["sw"]]
  a <- row[sprintf("a_%d", seq_len(p))]
  a_z <- row[["a_0"]]
  b <- symmetric(row[sprintf("b_%d_%d", ij[, 1], ij[, 2])], p)
  b_z <- row[sprintf("b_%d_0", seq_len(p))]
  moments <- if (design$intercept) {
    list(sw = sw, mean = shift[seq_len(p)] + a / sw, mean_z = shift[[p + 1L]] + a_z / sw, xx = b - outer(a, a) / sw, xz = b_z - a * a_z / sw, zz = row[["b_0_0"]] - a_z^2 / sw)
  } else {
    list(sw = sw, mean = rep(0, p), mean_z = 0, xx = b, xz = b_z, zz = row[["b_0_0"]])
  }
  c(moments, list(n = row[["n"]], n_ok = row[["n_ok"]], row = row))
}

# Which columns are not linear combinations of the ones before them (and of the intercept).
alias_free <- function(moments, intercept) {
  xx <- moments$xx
  p <- ncol(xx)
  raw_norm <- diag(xx) + if (intercept) moments$sw * moments$mean^2 else 0
  kept <- integer()
  for (j in seq_len(p)) {
    if (!(raw_norm[[j]] > 0) || !(xx[j, j] > 0)) next
    residual <- xx[j, j]
    if (length(kept) > 0L) residual <- residual - sum(xx[j, kept] * solve(xx[kept, kept, drop = FALSE], xx[kept, j]))
    if (residual / raw_norm[[j]] > ALIAS_TOLERANCE) kept <- c(kept, j)
  }
  kept
}

# Solves the normal equations from centred moments: coefficients in the model's order (NA for
# aliased columns), their covariance without the dispersion, the residual sum of squares, the
# rank and the condition number of the columns' correlation matrix.
solve_moments <- function(moments, design) {
  p <- nrow(design$columns)
  names <- c(if (design$intercept) "(Intercept)", design$columns$name)
  kept <- alias_free(moments, design$intercept)
  beta <- rep(NA_real_, p)
  inverse <- matrix(0, length(kept), length(kept))
  condition <- 1
  if (length(kept) > 0L) {
    xx <- moments$xx[kept, kept, drop = FALSE]
    scale <- sqrt(diag(xx))
    condition <- kappa(xx / outer(scale, scale), exact = TRUE)
    inverse <- chol2inv(chol(xx))
    beta[kept] <- inverse %*% moments$xz[kept]
  }
  rss <- moments$zz - sum(beta[kept] * moments$xz[kept])
  cov <- matrix(NA_real_, length(names), length(names), dimnames = list(names, names))
  offset <- if (design$intercept) 1L else 0L
  cov[kept + offset, kept + offset] <- inverse
  coefficients <- beta
  if (design$intercept) {
    mean <- moments$mean[kept]
    coefficients <- c(moments$mean_z - sum(mean * beta[kept]), beta)
    cov[1, 1] <- 1 / moments$sw + drop(t(mean) %*% inverse %*% mean)
    cov[1, kept + 1L] <- cov[kept + 1L, 1] <- -drop(inverse %*% mean)
  }
  list(coefficients = stats::setNames(coefficients, names), cov = cov, rss = max(rss, 0), rank = length(kept) + offset, condition = condition)
}

#' Fits a generalized linear model to a table of the cluster, as stats::glm() would fit it to
#' the same rows: `formula` over any columns of `data` (a lazy table or a view name) with numeric
#' terms, text and logical columns (treatment contrasts, first level alphabetical as
#' reference), interactions (a:b, a*b), -1, I() of arithmetic and log()/exp()/sqrt(); family
#' gaussian, binomial or poisson (canonical links); `weights` names a column of prior weights.
#' Rows with a missing value in a column the model uses are left out (na.omit).
#' The result works with coef(), vcov(), summary() and predict().
srs_glm <- function(formula, data, family = stats::gaussian(), weights = NULL, method = c("auto", "sql", "mllib"), epsilon = 1e-8, maxit = 25L) {
  started <- Sys.time()
  family <- check_family(family)
  method <- match.arg(method)
  kind <- switch(family$family, gaussian = "numeric", binomial = "binary", poisson = "count")
  if (family$family == "gaussian" && is.null(weights) && method != "mllib") {
    # Least squares at the speed of an aggregate: one pass finds the levels and the moments.
    grouped <- grouped_gaussian(model_design(formula, data, response_kind = kind, defer_levels = TRUE))
    design <- grouped$design
    fit <- finish_gaussian(grouped$moments, design, passes = 1L)
  } else {
    design <- model_design(formula, data, weights = weights, response_kind = kind)
    fit <- if (method == "mllib") fit_mllib(design, family) else fit_sql(design, family, epsilon, maxit)
  }
  if (method == "auto" && isTRUE(fit$condition > MAX_CONDITION)) {
    message(sprintf("srspark: the design's condition number is %.3g; fitting with Spark MLlib instead of the normal equations", fit$condition))
    fit <- fit_mllib(design, family)
  }
  if (method == "sql" && isTRUE(fit$condition > MAX_CONDITION)) {
    warning(sprintf("the design's condition number is %.3g: the coefficients may have lost more than 6 digits", fit$condition), call. = FALSE)
  }
  fit$family <- family
  fit$formula <- design$formula
  fit$design <- design
  fit$seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
  structure(fit, class = "srs_glm")
}

fit_sql <- function(design, family, epsilon, maxit) {
  sql <- family_sql(family$family)
  p <- nrow(design$columns)
  base <- design_sql(design)
  pass_from <- function(eta) {
    mu <- sql$mu("srs_eta")
    sprintf(
      "SELECT *, %s AS srs_w, %s AS srs_z, %s AS srs_dev FROM (SELECT *, %s AS srs_mu FROM (SELECT *, %s AS srs_eta FROM (%s) srs_rows) srs_eta_rows) srs_mu_rows",
      sql$weight("srs_mu", "srs_eta", "srs_pw"), sql$working("srs_eta", "srs_y", "srs_mu"), sql$deviance("srs_y", "srs_mu", "srs_pw"), mu, eta, base
    )
  }
  linear <- function(beta) {
    terms <- c(if (design$intercept) number(beta[[1]]), if (p > 0L) sprintf("%s * c%d", vapply(beta[(design$intercept + 1L):(design$intercept + p)], function(b) if (is.na(b)) "0.0D" else number(b), character(1)), seq_len(p)))
    if (length(terms) == 0L) "0.0D" else paste(terms, collapse = " + ")
  }
  if (family$family == "gaussian") {
    moments <- weighted_moments(design, pass_from(sql$start_eta("srs_y", "srs_pw")), rep(0, p + 1L))
    return(finish_gaussian(moments, design, passes = 1L))
  }
  checks <- c("MIN(srs_y) AS srs_min_y", "MAX(srs_y) AS srs_max_y", "SUM(srs_pw * srs_y) AS srs_swy", "SUM(srs_pw) AS srs_spw")
  shift <- rep(0, p + 1L)
  eta <- sql$start_eta("srs_y", "srs_pw")
  previous <- NULL
  null_deviance <- NA_real_
  for (pass in seq_len(maxit + 1L)) {
    extra <- c("SUM(srs_dev) AS srs_dev", if (pass == 1L) checks else if (pass == 2L) sprintf("SUM(%s) AS srs_null_dev", sql$deviance("srs_y", null_mu, "srs_pw")))
    moments <- weighted_moments(design, pass_from(eta), shift, extra)
    if (pass == 1L) {
      check_response(family$family, moments$row)
      null_eta <- if (design$intercept) family$linkfun(moments$row[["srs_swy"]] / moments$row[["srs_spw"]]) else 0
      null_mu <- sql$mu(number(null_eta))
    }
    if (pass == 2L) null_deviance <- moments$row[["srs_null_dev"]]
    deviance <- moments$row[["srs_dev"]]
    if (!is.finite(deviance)) stop("the fit diverged (the deviance is not finite); check the data and the formula", call. = FALSE)
    # This pass measured the deviance of the previous coefficients: glm.fit() stops there when
    # it changed by less than epsilon, and returns those coefficients.
    if (!is.null(previous) && abs(deviance - previous$deviance_before) / (abs(deviance) + 0.1) < epsilon) {
      return(finish_irls(previous$solved, previous$moments, design, deviance, null_deviance, iterations = pass - 1L, converged = TRUE, passes = pass))
    }
    solved <- solve_moments(moments, design)
    previous <- list(solved = solved, moments = moments, deviance_before = deviance)
    # The next pass's cross-products are taken around these means (raw ones without intercept).
    shift <- if (design$intercept) c(moments$mean, moments$mean_z) else rep(0, p + 1L)
    eta <- linear(solved$coefficients)
  }
  warning("the IRLS iterations did not converge in ", maxit, " steps", call. = FALSE)
  finish_irls(previous$solved, previous$moments, design, NA_real_, null_deviance, iterations = maxit, converged = FALSE, passes = maxit + 1L)
}

check_response <- function(family, row) {
  if (family == "binomial" && (row[["srs_min_y"]] < 0 || row[["srs_max_y"]] > 1)) {
    stop("the binomial family needs a response from 0 to 1 (or logical, or text with two or more values), got values from ", row[["srs_min_y"]], " to ", row[["srs_max_y"]], call. = FALSE)
  }
  if (family == "poisson" && row[["srs_min_y"]] < 0) stop("the poisson family needs counts of 0 or more, got ", row[["srs_min_y"]], call. = FALSE)
}

finish_gaussian <- function(moments, design, passes) {
  solved <- solve_moments(moments, design)
  df_residual <- moments$n_ok - solved$rank
  dispersion <- if (df_residual > 0) solved$rss / df_residual else NaN
  null_deviance <- if (design$intercept) moments$zz else moments$zz + moments$sw * moments$mean_z^2
  new_fit(solved, dispersion, deviance = solved$rss, null_deviance = null_deviance, df_residual = df_residual, df_null = moments$n_ok - design$intercept, rows = moments$n_ok, iterations = 1L, converged = TRUE, method = "sql", passes = passes, statistic = "t")
}

finish_irls <- function(solved, moments, design, deviance, null_deviance, iterations, converged, passes) {
  new_fit(solved, dispersion = 1, deviance = deviance, null_deviance = null_deviance, df_residual = moments$n_ok - solved$rank, df_null = moments$n_ok - design$intercept, rows = moments$n_ok, iterations = iterations, converged = converged, method = "sql", passes = passes, statistic = "z")
}

new_fit <- function(solved, dispersion, deviance, null_deviance, df_residual, df_null, rows, iterations, converged, method, passes, statistic) {
  cov <- solved$cov * dispersion
  se <- sqrt(diag(cov))
  value <- solved$coefficients / se
  p_value <- if (statistic == "t") 2 * stats::pt(-abs(value), df_residual) else 2 * stats::pnorm(-abs(value))
  list(
    coefficients = solved$coefficients, std_errors = se, statistic = value, statistic_name = statistic, p_values = p_value,
    cov = cov, dispersion = dispersion, deviance = deviance, null_deviance = null_deviance, df_residual = df_residual,
    df_null = df_null, rows = rows, rank = solved$rank, iterations = iterations, converged = converged, method = method,
    passes = passes, condition = solved$condition
  )
}

fit_mllib <- function(design, family) {
  p <- nrow(design$columns)
  if (p == 0L) stop("an intercept-only model has nothing for MLlib to fit; use method = \"sql\"", call. = FALSE)
  s <- spark()
  b <- s$bridge
  answer <- tryCatch(
    b$jstatic(s$handle, "org.sparkrstudioshiny.srspark.GlmFallback", "fit", spark_sql(design_sql(design)), p, family$family, design$intercept, !is.null(design$weights), 1e-10, 100L),
    error = function(e) stop("Spark MLlib could not fit the model: ", spark_error_message(e), call. = FALSE)
  )
  values <- readBin(b$raw_out(answer), "double", 2L * p + 6L, size = 8L, endian = "little")
  names <- c(if (design$intercept) "(Intercept)", design$columns$name)
  keep <- if (design$intercept) seq_len(p + 1L) else 1L + seq_len(p)
  coefficients <- stats::setNames(values[keep], names)
  se <- stats::setNames(values[p + 1L + keep], names)
  rows <- values[[2L * p + 6L]]
  df_residual <- values[[2L * p + 5L]]
  dispersion <- if (family$family == "gaussian") values[[2L * p + 3L]] / df_residual else 1
  statistic <- if (family$family == "gaussian") "t" else "z"
  value <- coefficients / se
  list(
    coefficients = coefficients, std_errors = se, statistic = value, statistic_name = statistic,
    p_values = if (statistic == "t") 2 * stats::pt(-abs(value), df_residual) else 2 * stats::pnorm(-abs(value)),
    cov = diag(se^2, nrow = length(se)), dispersion = dispersion, deviance = values[[2L * p + 3L]], null_deviance = values[[2L * p + 4L]],
    df_residual = df_residual, df_null = rows - design$intercept, rows = rows, rank = length(names), iterations = NA_integer_,
    converged = TRUE, method = "mllib", passes = NA_integer_, condition = NA_real_
  )
}

coef.srs_glm <- function(object, ...) object$coefficients

vcov.srs_glm <- function(object, ...) object$cov

summary.srs_glm <- function(object, ...) {
  stat <- if (object$statistic_name == "t") c("t value", "Pr(>|t|)") else c("z value", "Pr(>|z|)")
  table <- cbind(object$coefficients, object$std_errors, object$statistic, object$p_values)
  dimnames(table) <- list(names(object$coefficients), c("Estimate", "Std. Error", stat))
  structure(list(coefficients = table, fit = object), class = "summary.srs_glm")
}

print.summary.srs_glm <- function(x, ...) {
  fit <- x$fit
  cat("Spark GLM (", fit$family$family, ", ", fit$family$link, " link) by ", if (fit$method == "sql") "Spark SQL aggregates" else "Spark MLlib",
    ": ", format(fit$rows, big.mark = ","), " rows, ", fit$passes, " pass(es) over the data, ", sprintf("%.2f", fit$seconds), " s\n", sep = "")
  cat(deparse(fit$formula, width.cutoff = 500L), "\n\n", sep = "")
  stats::printCoefmat(x$coefficients, ...)
  cat("\nResidual deviance:", format(fit$deviance), "on", fit$df_residual, "degrees of freedom\n")
  cat("Null deviance:    ", format(fit$null_deviance), "on", fit$df_null, "degrees of freedom\n")
  invisible(x)
}

print.srs_glm <- function(x, ...) print(summary(x), ...)

#' Scores a table with a fitted model: a lazy table with the columns of `newdata` and `.fitted`,
#' the linear predictor (type "link") or the mean (type "response"), computed by Spark. Text
#' levels the model did not see give NA. `name` keeps the result as a temporary view.
predict.srs_glm <- function(object, newdata, type = c("link", "response"), name = NULL, ...) {
  type <- match.arg(type)
  design <- object$design
  source <- model_source(newdata)
  b <- object$coefficients
  columns <- design$columns
  terms <- c(if (design$intercept) number(b[["(Intercept)"]]), sprintf("%s * %s", vapply(b[columns$name], function(v) if (is.na(v)) "0.0D" else number(v), character(1)), columns$sql))
  eta <- if (length(terms) == 0L) "0.0D" else paste(terms, collapse = " + ")
  predictors <- Filter(function(v) v$label != design$response_label, design$categorical)
  known <- vapply(predictors, function(v) {
    levels <- if (v$kind == "logical") tolower(v$levels) else v$levels
    sprintf("CAST(%s AS STRING) IN (%s)", v$sql, paste(quote_text(levels), collapse = ", "))
  }, character(1))
  if (length(known) > 0L) eta <- sprintf("CASE WHEN %s THEN %s END", paste(known, collapse = " AND "), eta)
  fitted <- if (type == "link") eta else family_sql(object$family$family)$mu(sprintf("(%s)", eta))
  con <- srs_connect()
  name <- if (is.null(name)) fresh_view_name("srs_predicted") else table_name(name)
  dbExecute(con, sprintf("CREATE OR REPLACE TEMPORARY VIEW %s AS SELECT *, %s AS %s FROM (%s) srs_newdata", quote_identifier(name), fitted, quote_identifier(".fitted"), source))
  dplyr::tbl(con, name)
}
