# Generalized linear models on any table, fitted from sufficient statistics: Spark computes, in
# one aggregate pass grouped by the values of the model's categorical variables, the (weighted)
# moments of the terms' numeric parts and of the response; R assembles the centred
# cross-products of the model matrix columns from the groups and solves the small p x p system.
# Gaussian models take one pass (two for data far from zero); binomial and poisson take one pass
# per IRLS iteration, exactly as glm.fit() iterates. A design too ill-conditioned for the normal
# equations falls back to Spark MLlib.

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

# The model's columns as c1 ... cp, the response as srs_y and the prior weights as srs_pw, and
# `more` (the keys and numeric parts of grouped passes).
design_sql <- function(design, more = character()) {
  columns <- if (nrow(design$columns) > 0L) sprintf("%s AS c%d", design$columns$sql, seq_len(nrow(design$columns))) else character()
  sprintf(
    "SELECT %s FROM (%s) srs_model_data WHERE %s",
    paste(c(columns, more, paste(design$response, "AS srs_y"), paste(if (is.null(design$weights)) "1.0D" else design$weights, "AS srs_pw")), collapse = ", "),
    design$source, design$where
  )
}

pairs_of <- function(p) if (p == 0L) matrix(integer(), 0, 2) else which(upper.tri(diag(p), diag = TRUE), arr.ind = TRUE)

# Which groups each model column is on in: a column is its term's numeric part in the groups of
# its levels (every categorical variable of its cell at that value) and zero elsewhere.
columns_on <- function(design, key_values, groups) {
  on <- matrix(TRUE, groups, nrow(design$columns))
  for (j in seq_len(nrow(design$columns))) {
    for (variable in names(design$cells[[j]])) on[, j] <- on[, j] & key_values[[variable]] == design$cells[[j]][[variable]]
  }
  storage.mode(on) <- "double"
  on
}

# A groups x q x q array, symmetric in its last two dimensions, filled from the pairs `ij` (one
# pair a row, k <= l) with value(k, l), a vector over the groups.
symmetric_by_group <- function(groups, q, ij, value) {
  cube <- array(0, c(groups, q, q))
  for (r in seq_len(nrow(ij))) cube[, ij[r, 1], ij[r, 2]] <- cube[, ij[r, 2], ij[r, 1]] <- value(ij[r, 1], ij[r, 2])
  cube
}

# The groups' key values, by categorical variable, as the levels are written (logicals in capitals).
group_keys <- function(groups, categorical) {
  values <- lapply(seq_along(categorical), function(k) {
    x <- as.character(groups[[sprintf("g%d", k)]])
    if (categorical[[k]]$kind == "logical") toupper(x) else x
  })
  stats::setNames(values, names(categorical))
}

# The moments of the model columns from statistics per group of rows: each group's weight, the
# weighted means of the numeric parts (mean_u, groups x q) and of the response (mean_z), and the
# weighted population covariances within the group (cov_uu, groups x q x q; cov_uz, groups x q;
# var_z). The design's column j is its term's numeric part where the group is on its levels, and
# zero elsewhere; the groups combine around the overall means (parallel axes), or raw without an
# intercept.
combine_groups <- function(stats, design, layout, key_values) {
  intercept <- design$intercept
  on <- columns_on(design, key_values, length(stats$w))
  # The numeric part of each column's term (0: the constant 1).
  part <- match(layout$parts[design$columns$term], layout$numeric_parts, nomatch = 0L)
  p <- ncol(on)
  q <- ncol(stats$mean_u)
  w <- stats$w
  means <- on * cbind(1, stats$mean_u)[, part + 1L, drop = FALSE]
  sw <- sum(w)
  centre <- if (intercept) colSums(w * means) / sw else rep(0, p)
  centre_z <- if (intercept) sum(w * stats$mean_z) / sw else 0
  d <- sweep(means, 2L, centre)
  dz <- stats$mean_z - centre_z
  xx <- crossprod(d, w * d)
  xz <- drop(crossprod(d, w * dz))
  for (k in seq_len(q)) {
    jk <- part == k
    if (!any(jk)) next
    for (l in seq_len(q)) {
      jl <- part == l
      if (any(jl)) xx[jk, jl] <- xx[jk, jl] + crossprod(on[, jk, drop = FALSE], (w * stats$cov_uu[, k, l]) * on[, jl, drop = FALSE])
    }
    xz[jk] <- xz[jk] + drop(crossprod(on[, jk, drop = FALSE], w * stats$cov_uz[, k]))
  }
  list(sw = sw, mean = centre, mean_z = centre_z, xx = xx, xz = xz, zz = sum(w * (stats$var_z + dz^2)))
}

# The SQL of the keys (the categorical variables of the terms, as text) and of the distinct
# numeric parts of the terms, and which part each model column's term has.
group_layout <- function(terms) {
  parts <- term_numeric_parts(terms)
  numeric_parts <- unique(parts[parts != "1.0D"])
  categorical <- terms$info[setdiff(terms$categorical, terms$labels[[attr(terms$tt, "response")]])]
  list(
    parts = parts, numeric_parts = numeric_parts, categorical = categorical,
    select = c(
      sprintf("CAST(%s AS STRING) AS g%d", vapply(categorical, `[[`, character(1), "sql"), seq_along(categorical)),
      sprintf("%s AS u%d", numeric_parts, seq_along(numeric_parts))
    ),
    group_by = if (length(categorical) > 0L) paste(" GROUP BY", paste(sprintf("g%d", seq_along(categorical)), collapse = ", ")) else ""
  )
}

# Unweighted least squares in one Spark pass: the complete rows grouped by the values of the
# model's categorical variables, each group's count and the sums of the terms' numeric parts, of
# the response and of their products (plain sums, the cheapest aggregate Spark has). Sums taken
# around zero lose digits when a column's mean is far from zero compared with its spread; when
# any column's is, a second pass takes the groups' means and covariances with Spark's one-pass
# stable algorithm instead (slower, exact). The groups' keys are the levels. Returns the design,
# its moments and the passes it took.
#
# The first pass checks for NULL only: a NaN check in the WHERE clause makes Spark compute each
# column it checks twice, once for the check and once for the sums (at 10^7 rows of the synthetic
# data, 0.92 s against 0.74 s). A NaN in a column makes its sums NaN; then the pass is taken
# again with the NaN checks, leaving those rows out as glm() does.
grouped_gaussian <- function(terms) {
  layout <- group_layout(terms)
  rows_where <- function(where) {
    sprintf(
      "SELECT %s FROM (%s) srs_model_data WHERE %s",
      paste(c(layout$select, sprintf("CAST(%s AS DOUBLE) AS srs_y", terms$response$sql)), collapse = ", "), terms$source, where
    )
  }
  rows <- rows_where(terms$where)
  passes <- 1L
  found <- gaussian_group_sums(layout, rows_where(terms$where_not_null))
  if (isTRUE(found$nan) && terms$where_not_null != terms$where) {
    passes <- passes + 1L
    found <- gaussian_group_sums(layout, rows)
  }
  if (is.null(found$groups)) {
    passes <- passes + 1L
    found <- gaussian_group_covariances(layout, rows)
  }
  groups <- found$groups
  key_values <- group_keys(groups, layout$categorical)
  levels <- lapply(key_values, function(values) sort(unique(values), method = "radix"))
  design <- design_with_levels(terms, list(levels = levels, rows = sum(found$stats$w)))
  moments <- combine_groups(found$stats, design, layout, key_values)
  list(design = design, moments = c(moments, list(n_ok = moments$sw)), passes = passes)
}

# How far (in squared standard deviations) a column's mean may sit from zero before sums around
# zero lose too many digits: each ten-fold costs about one.
FAR_FROM_ZERO <- 1e3

# `aggregates` of the rows of `from`, grouped by the layout's keys (g1, g2, ...): one row per group,
# the keys first.
fetch_groups <- function(layout, from, aggregates) {
  keys <- sprintf("g%d", seq_along(layout$categorical))
  reader <- spark_reader(spark_sql(sprintf("SELECT %s FROM (%s) srs_rows%s", paste(c(keys, aggregates), collapse = ", "), from, layout$group_by)))
  # One text or logical column: its groups are its values. Several: their combinations.
  option <- if (length(keys) == 1L) "srspark.max_levels" else "srspark.max_groups"
  bound <- limit_of(option)
  if (length(keys) == 0L || !is.finite(bound)) return(reader$fetch())
  # At most one group past the bound reaches R: enough to refuse a model of too many values.
  cap <- as.integer(min(bound + 1, .Machine$integer.max))
  groups <- reader$fetch(cap)
  while (nrow(groups) < cap && !reader$completed()) groups <- rbind(groups, reader$fetch(cap - nrow(groups)))
  context <- if (length(keys) == 1L) sprintf("column %s has at least", names(layout$categorical)[[1]]) else "the model's text and logical columns have at least"
  check_limit(option, nrow(groups), context)
  groups
}

# The complete rows' groups that hold rows, or a stop when none do.
nonempty_groups <- function(groups) {
  groups <- groups[!is.na(groups$n) & groups$n > 0, , drop = FALSE]
  if (nrow(groups) == 0L) stop("no complete rows: every row has a missing value in a column the model uses", call. = FALSE)
  groups
}

# Each group's count, means and population covariances from plain sums of the numeric parts (u),
# the response and their products; list(nan = TRUE) when a sum is NaN (a NaN in the rows), and
# no groups when a column's mean over all rows is more than sqrt(FAR_FROM_ZERO) standard
# deviations from zero (or it does not vary), where sums lose digits.
gaussian_group_sums <- function(layout, rows) {
  q <- length(layout$numeric_parts)
  ij <- pairs_of(q)
  groups <- nonempty_groups(fetch_groups(layout, rows, c(
    "COUNT(*) AS n", sprintf("SUM(u%d) AS a_%d", seq_len(q), seq_len(q)), "SUM(srs_y) AS a_0",
    sprintf("SUM(u%d * u%d) AS b_%d_%d", ij[, 1], ij[, 2], ij[, 1], ij[, 2]),
    sprintf("SUM(u%d * srs_y) AS b_%d_0", seq_len(q), seq_len(q)), "SUM(srs_y * srs_y) AS b_0_0"
  )))
  sums <- grep("^[ab]_", names(groups), value = TRUE)
  if (any(vapply(groups[sums], function(column) any(is.nan(as.numeric(column))), logical(1)))) return(list(nan = TRUE))
  n <- as.numeric(groups$n)
  total <- function(name) sum(as.numeric(groups[[name]]))
  columns <- c(seq_len(q), 0L)
  mean_all <- vapply(sprintf("a_%d", columns), total, numeric(1)) / sum(n)
  spread_all <- vapply(sprintf("b_%d_%d", columns, columns), total, numeric(1)) / sum(n) - mean_all^2
  if (any(!is.finite(spread_all)) || any(spread_all <= 0) || any(mean_all^2 > FAR_FROM_ZERO * spread_all)) return(list())
  list(groups = groups, stats = stats_from_sums(groups, n, rep(0, q + 1L), ij))
}

# Each group's means and population covariances from its (weighted) sums taken around `shift`
# (the numeric parts' values, then the response's): a_k the sum of u_k - shift_k, a_0 of the
# response's, b_k_l, b_k_0 and b_0_0 the sums of their products; `w` the groups' total weights.
stats_from_sums <- function(groups, w, shift, ij) {
  q <- length(shift) - 1L
  a <- matrix(vapply(seq_len(q), function(k) as.numeric(groups[[sprintf("a_%d", k)]]), numeric(nrow(groups))), nrow(groups), q)
  a_z <- as.numeric(groups$a_0)
  list(
    w = w, mean_u = sweep(a / w, 2L, shift[seq_len(q)], `+`), mean_z = shift[[q + 1L]] + a_z / w,
    cov_uu = symmetric_by_group(nrow(groups), q, ij, function(k, l) (as.numeric(groups[[sprintf("b_%d_%d", k, l)]]) - a[, k] * a[, l] / w) / w),
    cov_uz = matrix(vapply(seq_len(q), function(k) (as.numeric(groups[[sprintf("b_%d_0", k)]]) - a[, k] * a_z / w) / w, numeric(nrow(groups))), nrow(groups), q),
    var_z = (as.numeric(groups$b_0_0) - a_z^2 / w) / w
  )
}

# Each group's count, means and population covariances as Spark's stable one-pass aggregates
# compute them (AVG, COVAR_POP, VAR_POP): exact wherever the data sit.
gaussian_group_covariances <- function(layout, rows) {
  q <- length(layout$numeric_parts)
  ij <- pairs_of(q)
  groups <- nonempty_groups(fetch_groups(layout, rows, c(
    "COUNT(*) AS n", sprintf("AVG(u%d) AS m%d", seq_len(q), seq_len(q)), "AVG(srs_y) AS m_y",
    sprintf("COVAR_POP(u%d, u%d) AS v%d_%d", ij[, 1], ij[, 2], ij[, 1], ij[, 2]),
    sprintf("COVAR_POP(u%d, srs_y) AS vy%d", seq_len(q), seq_len(q)), "VAR_POP(srs_y) AS yy"
  )))
  list(groups = groups, stats = list(
    w = as.numeric(groups$n), mean_u = as.matrix(groups[, sprintf("m%d", seq_len(q)), drop = FALSE]), mean_z = as.numeric(groups$m_y),
    cov_uu = symmetric_by_group(nrow(groups), q, ij, function(k, l) as.numeric(groups[[sprintf("v%d_%d", k, l)]])),
    cov_uz = as.matrix(groups[, sprintf("vy%d", seq_len(q)), drop = FALSE]), var_z = as.numeric(groups$yy)
  ))
}

# One pass of weighted least squares on the working response srs_z with weights srs_w, grouped
# as grouped_gaussian() groups: per group the weighted sums of the numeric parts and srs_z taken
# around `shift` (the previous pass's weighted means), so that little is lost when they are
# centred in R. `extra` are aggregates of the rows (SUM, MIN or MAX, named srs_*), combined over
# the groups. `from` holds the shift in its columns srs_s1 ... srs_sq and srs_s0 (see
# with_constants()). Returns centred moments (raw ones without intercept), the row counts and the
# extras.
grouped_moments <- function(design, layout, from, shift, extra = character()) {
  q <- length(layout$numeric_parts)
  ij <- pairs_of(q)
  around <- function(k) if (k == 0L) "(srs_z - srs_s0)" else sprintf("(u%d - srs_s%d)", k, k)
  groups <- fetch_groups(layout, from, c(
    "COUNT(*) AS n", "SUM(CASE WHEN srs_pw <> 0.0D THEN 1 ELSE 0 END) AS n_ok", "SUM(srs_w) AS sw",
    sprintf("SUM(srs_w * %s) AS a_%d", vapply(c(seq_len(q), 0L), around, character(1)), c(seq_len(q), 0L)),
    sprintf("SUM(srs_w * %s * %s) AS b_%d_%d", vapply(ij[, 1], around, character(1)), vapply(ij[, 2], around, character(1)), ij[, 1], ij[, 2]),
    sprintf("SUM(srs_w * %s * %s) AS b_%d_0", vapply(seq_len(q), around, character(1)), around(0L), seq_len(q)),
    sprintf("SUM(srs_w * %s * %s) AS b_0_0", around(0L), around(0L)),
    extra
  ))
  extras <- grep("^srs_", names(groups), value = TRUE)
  row <- vapply(extras, function(name) {
    values <- as.numeric(groups[[name]])
    switch(sub("^srs_(min|max)_.*", "\\1", name), min = min(values), max = max(values), sum(values))
  }, numeric(1))
  totals <- list(n = sum(as.numeric(groups$n)), n_ok = sum(as.numeric(groups$n_ok)), row = row)
  # Groups whose weights are all zero add nothing.
  weighted <- as.numeric(groups$sw) > 0
  groups <- groups[weighted, , drop = FALSE]
  if (nrow(groups) == 0L) stop("no rows with a positive weight: the model cannot be fitted", call. = FALSE)
  sw <- as.numeric(groups$sw)
  stats <- stats_from_sums(groups, sw, shift, ij)
  moments <- combine_groups(stats, design, layout, group_keys(groups, layout$categorical))
  # The next pass's shift: the weighted means of the numeric parts and of srs_z over all groups.
  c(moments, totals, list(shift = c(colSums(sw * stats$mean_u) / sum(sw), sum(sw * stats$mean_z) / sum(sw))))
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

#' Fit a generalized linear model on the cluster
#'
#' Fits the model [stats::glm()] would fit to the same rows, from sufficient statistics Spark
#' computes: gaussian in one aggregate pass, binomial and poisson in one pass per IRLS iteration.
#' Coefficients are named and ordered as `glm()` names them, with standard errors, deviance and
#' degrees of freedom; rows with a missing value in a column the model uses are left out
#' (`na.omit`); aliased columns are `NA`.
#'
#' @param formula A model formula (or its text) over columns of `data`: numeric terms, factors,
#'   text and logical columns (treatment contrasts), interactions (`a:b`, `a*b`), `- 1`, `I()`
#'   of arithmetic and `log()`, `exp()`, `sqrt()`, `abs()`. It is parsed, never evaluated.
#' @param data A lazy table of a [srs_connect()] connection, or a view's name.
#' @param family `gaussian`, `binomial` or `poisson` (canonical links): a family object, its
#'   function or its name.
#' @param weights The name of a numeric column of prior weights.
#' @param method `"auto"` (normal equations, Spark MLlib when the design is ill-conditioned),
#'   `"sql"` or `"mllib"`.
#' @param epsilon,maxit IRLS convergence, as [stats::glm.control()].
#' @param xlev Levels of text columns, as `glm()`'s `xlev`: a named list of character vectors
#'   (the first is the reference). A factor written by `copy_to()` or `dbWriteTable()` carries
#'   its own; other text columns take their values in alphabetical order.
#' @return An object of class `srs_glm`: `coef()`, `vcov()`, `summary()` and `predict()` work on
#'   it.
#' @seealso [predict.srs_glm()]
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' breaks <- dplyr::copy_to(con, warpbreaks, "breaks_example", overwrite = TRUE)
#' fit <- srs_glm(breaks ~ wool * tension, breaks, family = "poisson")
#' summary(fit)
#' all.equal(coef(fit), coef(glm(breaks ~ wool * tension, poisson, warpbreaks)))
srs_glm <- function(formula, data, family = stats::gaussian(), weights = NULL,
                    method = c("auto", "sql", "mllib"), epsilon = 1e-8, maxit = 25L, xlev = NULL) {
  started <- Sys.time()
  family <- check_family(family)
  method <- match.arg(method)
  kind <- switch(family$family, gaussian = "numeric", binomial = "binary", poisson = "count")
  if (family$family == "gaussian" && is.null(weights) && method != "mllib") {
    # Least squares at the speed of an aggregate: one pass finds the levels and the moments.
    terms <- model_design(formula, data, response_kind = kind, defer_levels = TRUE, xlev = xlev)
    grouped <- grouped_gaussian(terms)
    design <- grouped$design
    fit <- finish_gaussian(grouped$moments, design, passes = grouped$passes)
  } else {
    terms <- model_design(formula, data,
      weights = weights, response_kind = kind, defer_levels = TRUE, xlev = xlev
    )
    design <- design_with_levels(terms, model_levels(terms$source, terms$where, terms$info[terms$categorical]))
    fit <- if (method == "mllib") fit_mllib(design, family) else fit_sql(design, group_layout(terms), family, epsilon, maxit)
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

# IRLS as glm.fit() iterates, one grouped pass per iteration (after the pass that found the
# levels, passes counts it too): the weights and working response of each row from the previous
# coefficients, their weighted moments grouped by the categorical values.
fit_sql <- function(design, layout, family, epsilon, maxit) {
  sql <- family_sql(family$family)
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
    sprintf(
      "SELECT *, %s AS srs_w, %s AS srs_z, %s AS srs_dev FROM (SELECT *, %s AS srs_mu FROM (SELECT *, %s AS srs_eta FROM (%s) srs_constant_rows) srs_eta_rows) srs_mu_rows",
      sql$weight("srs_mu", "srs_eta", "srs_pw"), sql$working("srs_eta", "srs_y", "srs_mu"), sql$deviance("srs_y", "srs_mu", "srs_pw"), sql$mu("srs_eta"), eta, with_constants(base, vapply(constants, number, character(1)))
    )
  }
  linear_terms <- c(if (design$intercept) "srs_b0", if (p > 0L) sprintf("srs_b%d * c%d", seq_len(p), seq_len(p)))
  linear <- if (length(linear_terms) == 0L) "0.0D" else paste(linear_terms, collapse = " + ")
  if (family$family == "gaussian") {
    moments <- grouped_moments(design, layout, pass_from(NULL, rep(0, q + 1L)), rep(0, q + 1L))
    return(finish_gaussian(moments, design, passes = 2L))
  }
  checks <- c("MIN(srs_y) AS srs_min_y", "MAX(srs_y) AS srs_max_y", "SUM(srs_pw * srs_y) AS srs_swy", "SUM(srs_pw) AS srs_spw")
  shift <- rep(0, q + 1L)
  beta <- NULL
  previous <- NULL
  null_deviance <- NA_real_
  for (pass in seq_len(maxit + 1L)) {
    extra <- c("SUM(srs_dev) AS srs_dev", if (pass == 1L) checks else if (pass == 2L) sprintf("SUM(%s) AS srs_null_dev", sql$deviance("srs_y", null_mu, "srs_pw")))
    moments <- grouped_moments(design, layout, pass_from(beta, shift, if (pass == 2L) c(srs_null_eta = null_eta)), shift, extra)
    if (pass == 1L) {
      check_response(family$family, moments$row)
      null_eta <- if (design$intercept) family$linkfun(moments$row[["srs_swy"]] / moments$row[["srs_spw"]]) else 0
      null_mu <- sql$mu("srs_null_eta")
    }
    if (pass == 2L) null_deviance <- moments$row[["srs_null_dev"]]
    deviance <- moments$row[["srs_dev"]]
    if (!is.finite(deviance)) stop("the fit diverged (the deviance is not finite); check the data and the formula", call. = FALSE)
    # This pass measured the deviance of the previous coefficients: glm.fit() stops there when
    # it changed by less than epsilon, and returns those coefficients.
    if (!is.null(previous) && abs(deviance - previous$deviance_before) / (abs(deviance) + 0.1) < epsilon) {
      return(finish_irls(previous$solved, previous$moments, design, deviance, null_deviance, iterations = pass - 1L, converged = TRUE, passes = pass + 1L))
    }
    solved <- solve_moments(moments, design)
    previous <- list(solved = solved, moments = moments, deviance_before = deviance)
    # The next pass's sums are taken around this pass's weighted means.
    shift <- moments$shift
    beta <- solved$coefficients
  }
  warning("the IRLS iterations did not converge in ", maxit, " steps", call. = FALSE)
  finish_irls(previous$solved, previous$moments, design, NA_real_, null_deviance, iterations = maxit, converged = FALSE, passes = maxit + 2L)
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
  s <- spark_parts()
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

#' @export
coef.srs_glm <- function(object, ...) object$coefficients

#' @export
vcov.srs_glm <- function(object, ...) object$cov

#' @export
summary.srs_glm <- function(object, ...) {
  stat <- if (object$statistic_name == "t") c("t value", "Pr(>|t|)") else c("z value", "Pr(>|z|)")
  table <- cbind(object$coefficients, object$std_errors, object$statistic, object$p_values)
  dimnames(table) <- list(names(object$coefficients), c("Estimate", "Std. Error", stat))
  structure(list(coefficients = table, fit = object), class = "summary.srs_glm")
}

#' @export
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

#' @export
print.srs_glm <- function(x, ...) print(summary(x), ...)

#' Score a table with a model fitted by srs_glm()
#'
#' Spark computes the linear predictor or the mean for every row; levels the model did not see
#' give `NA`.
#'
#' @param object A fit from [srs_glm()].
#' @param newdata A lazy table of a [srs_connect()] connection, or a view's name, with the
#'   model's columns.
#' @param type `"link"` (the linear predictor) or `"response"` (the mean).
#' @param name The result's view name; a fresh one by default.
#' @param ... Unused.
#' @return A lazy table: the columns of `newdata` and `.fitted`.
#' @export
#' @examplesIf nzchar(Sys.getenv("SPARK_MASTER_URL"))
#' con <- srs_connect()
#' cars <- dplyr::copy_to(con, mtcars, "cars_example", overwrite = TRUE)
#' fit <- srs_glm(am ~ wt, cars, family = "binomial")
#' predict(fit, cars, type = "response")
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
