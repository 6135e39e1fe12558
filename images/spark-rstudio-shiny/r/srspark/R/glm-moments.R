# The sufficient statistics of a model and the normal equations: the design as SQL, one grouped
# aggregate pass of weighted moments (grouped by the values of the model's categorical
# variables), the groups combined into centred cross-products of the model matrix's columns, and
# the small p x p system solved in R (aliased columns NA, as glm() has them).

# A column whose squared residual norm (after the columns before it) is below this fraction of
# its own is aliased: its coefficient is NA, as glm() reports it.
ALIAS_TOLERANCE <- 1e-11

# The model's columns as c1 ... cp, the response as srs_y and the prior weights as srs_pw, and
# `more` (the keys and numeric parts of grouped passes).
design_sql <- function(design, more = character()) {
  p <- nrow(design$columns)
  columns <- if (p > 0L) sprintf("%s AS c%d", design$columns$sql, seq_len(p)) else character()
  model_rows_sql(design$source, design$where, c(columns, more), design$response, design$weights)
}

# The complete rows of `source` (`where`) as `select`, the response (SQL) as srs_y and the prior
# weights (SQL, or NULL for none) as srs_pw.
model_rows_sql <- function(source, where, select, response, weights) {
  sprintf(
    "SELECT %s FROM (%s) srs_model_data WHERE %s",
    paste(c(
      select, paste(response, "AS srs_y"),
      paste(if (is.null(weights)) "1.0D" else weights, "AS srs_pw")
    ), collapse = ", "),
    source, where
  )
}

# Which numeric part of the layout each model column's term has (0: the constant 1).
column_parts <- function(design, layout) {
  match(layout$parts[design$columns$term], layout$numeric_parts, nomatch = 0L)
}

pairs_of <- function(p) {
  if (p == 0L) return(matrix(integer(), 0, 2))
  which(upper.tri(diag(p), diag = TRUE), arr.ind = TRUE)
}

# Which groups each model column is on in: a column is its term's numeric part in the groups of
# its levels (every categorical variable of its cell at that value) and zero elsewhere.
columns_on <- function(design, key_values, groups) {
  on <- matrix(TRUE, groups, nrow(design$columns))
  for (j in seq_len(nrow(design$columns))) {
    cell <- design$cells[[j]]
    for (variable in names(cell)) on[, j] <- on[, j] & key_values[[variable]] == cell[[variable]]
  }
  storage.mode(on) <- "double"
  on
}

# A groups x q x q array, symmetric in its last two dimensions, filled from the pairs `ij` (one
# pair a row, k <= l) with value(k, l), a vector over the groups.
symmetric_by_group <- function(groups, q, ij, value) {
  cube <- array(0, c(groups, q, q))
  for (r in seq_len(nrow(ij))) {
    k <- ij[r, 1]
    l <- ij[r, 2]
    cube[, k, l] <- cube[, l, k] <- value(k, l)
  }
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
  part <- column_parts(design, layout)
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
      if (any(jl)) {
        weighted <- (w * stats$cov_uu[, k, l]) * on[, jl, drop = FALSE]
        xx[jk, jl] <- xx[jk, jl] + crossprod(on[, jk, drop = FALSE], weighted)
      }
    }
    xz[jk] <- xz[jk] + drop(crossprod(on[, jk, drop = FALSE], w * stats$cov_uz[, k]))
  }
  zz <- sum(w * (stats$var_z + dz^2))
  list(sw = sw, mean = centre, mean_z = centre_z, xx = xx, xz = xz, zz = zz)
}

# The SQL of the keys (the categorical variables of the terms, as text) and of the distinct
# numeric parts of the terms, and which part each model column's term has.
group_layout <- function(terms) {
  parts <- term_numeric_parts(terms)
  numeric_parts <- unique(parts[parts != "1.0D"])
  variables <- term_numeric_variables(terms)
  # Each numeric part as its variables' labels, as a term writes them (x, x:z).
  part_labels <- vapply(numeric_parts, function(part) {
    paste(variables[[match(part, parts)]], collapse = ":")
  }, character(1), USE.NAMES = FALSE)
  categorical <- terms$info[setdiff(terms$categorical, terms$labels[[attr(terms$tt, "response")]])]
  list(
    parts = parts, numeric_parts = numeric_parts, part_labels = part_labels,
    categorical = categorical,
    select = c(
      sprintf("CAST(%s AS STRING) AS g%d", vapply(categorical, `[[`, character(1), "sql"), seq_along(categorical)),
      sprintf("%s AS u%d", numeric_parts, seq_along(numeric_parts))
    ),
    group_by = if (length(categorical) > 0L) {
      paste(" GROUP BY", paste(sprintf("g%d", seq_along(categorical)), collapse = ", "))
    } else {
      ""
    }
  )
}

# `aggregates` of the rows of `from`, grouped by the layout's keys (g1, g2, ...): one row per group,
# the keys first.
fetch_groups <- function(layout, from, aggregates) {
  keys <- sprintf("g%d", seq_along(layout$categorical))
  select <- paste(c(keys, aggregates), collapse = ", ")
  reader <- spark_reader(spark_sql(
    sprintf("SELECT %s FROM (%s) srs_rows%s", select, from, layout$group_by)
  ))
  # One text or logical column: its groups are its values. Several: their combinations.
  option <- if (length(keys) == 1L) "srspark.max_levels" else "srspark.max_groups"
  bound <- limit_of(option)
  if (length(keys) == 0L || !is.finite(bound)) return(reader$fetch())
  # At most one group past the bound reaches R: enough to refuse a model of too many values.
  cap <- as.integer(min(bound + 1, .Machine$integer.max))
  groups <- reader$fetch(cap)
  while (nrow(groups) < cap && !reader$completed()) {
    groups <- rbind(groups, reader$fetch(cap - nrow(groups)))
  }
  context <- if (length(keys) == 1L) sprintf("column %s has at least", names(layout$categorical)[[1]]) else "the model's text and logical columns have at least"
  check_limit(option, nrow(groups), context)
  groups
}

# The groups of a pass as a fit reports them, ordered by their keys: the categorical variables'
# values (as the levels are written), the weight of the rows in each (`n`, their count without
# weights) and the (weighted) means there of the terms' numeric parts and of the response
# (`response`), named mean_ and their labels (mean_x, mean_x:z, mean_y).
group_means <- function(stats, key_values, layout, response) {
  means <- cbind(stats$mean_u, stats$mean_z)
  colnames(means) <- paste0("mean_", c(layout$part_labels, response))
  frame <- data.frame(n = stats$w, means, check.names = FALSE)
  if (length(key_values) == 0L) return(frame)
  frame <- cbind(data.frame(key_values, check.names = FALSE), frame)
  ordered <- do.call(order, c(unname(key_values), list(method = "radix")))
  `rownames<-`(frame[ordered, , drop = FALSE], NULL)
}

# The complete rows' groups that hold rows, or a stop when none do.
nonempty_groups <- function(groups) {
  groups <- groups[!is.na(groups$n) & groups$n > 0, , drop = FALSE]
  if (nrow(groups) == 0L) stop("no complete rows: every row has a missing value in a column the model uses", call. = FALSE)
  groups
}

# Each group's means and population covariances from its (weighted) sums taken around `shift`
# (the numeric parts' values, then the response's): a_k the sum of u_k - shift_k, a_0 of the
# response's, b_k_l, b_k_0 and b_0_0 the sums of their products; `w` the groups' total weights.
stats_from_sums <- function(groups, w, shift, ij) {
  q <- length(shift) - 1L
  n <- nrow(groups)
  by_part <- function(value) matrix(vapply(seq_len(q), value, numeric(n)), n, q)
  a <- by_part(function(k) as.numeric(groups[[sprintf("a_%d", k)]]))
  a_z <- as.numeric(groups$a_0)
  list(
    w = w, mean_u = sweep(a / w, 2L, shift[seq_len(q)], `+`), mean_z = shift[[q + 1L]] + a_z / w,
    cov_uu = symmetric_by_group(n, q, ij, function(k, l) {
      (as.numeric(groups[[sprintf("b_%d_%d", k, l)]]) - a[, k] * a[, l] / w) / w
    }),
    cov_uz = by_part(function(k) (as.numeric(groups[[sprintf("b_%d_0", k)]]) - a[, k] * a_z / w) / w),
    var_z = (as.numeric(groups$b_0_0) - a_z^2 / w) / w
  )
}

# One pass of weighted least squares on the working response srs_z with weights srs_w, grouped
# as grouped_gaussian() groups: per group the weighted sums of the numeric parts and srs_z taken
# around `shift` (the previous pass's weighted means), so that little is lost when they are
# centred in R. `extra` are aggregates of the rows (SUM, MIN or MAX, named srs_*), combined over
# the groups. `from` holds the shift in its columns srs_s1 ... srs_sq and srs_s0 (see
# with_constants()). `design` may be a function of the groups' key values that makes it. Returns
# centred moments (raw ones without intercept), the row counts, the extras and the design.
grouped_moments <- function(design, layout, from, shift, extra = character()) {
  q <- length(layout$numeric_parts)
  ij <- pairs_of(q)
  around <- function(k) if (k == 0L) "(srs_z - srs_s0)" else sprintf("(u%d - srs_s%d)", k, k)
  groups <- fetch_groups(layout, from, c(
    "COUNT(*) AS n", "SUM(CASE WHEN srs_pw <> 0.0D THEN 1 ELSE 0 END) AS n_ok", "SUM(srs_w) AS sw",
    sprintf("SUM(srs_w * %s) AS a_%d", vapply(c(seq_len(q), 0L), around, character(1)), c(seq_len(q), 0L)),
    sprintf(
      "SUM(srs_w * %s * %s) AS b_%d_%d",
      vapply(ij[, 1], around, character(1)), vapply(ij[, 2], around, character(1)),
      ij[, 1], ij[, 2]
    ),
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
  key_values <- group_keys(groups, layout$categorical)
  # The design of the levels this pass found (every group's keys, zero weights included).
  if (is.function(design)) design <- design(key_values)
  # Groups whose weights are all zero add nothing.
  weighted <- as.numeric(groups$sw) > 0
  groups <- groups[weighted, , drop = FALSE]
  if (nrow(groups) == 0L) stop("no rows with a positive weight: the model cannot be fitted", call. = FALSE)
  sw <- as.numeric(groups$sw)
  stats <- stats_from_sums(groups, sw, shift, ij)
  moments <- combine_groups(stats, design, layout, lapply(key_values, `[`, weighted))
  # The next pass's shift: the weighted means of the numeric parts and of srs_z over all groups.
  shift <- c(colSums(sw * stats$mean_u) / sum(sw), sum(sw * stats$mean_z) / sum(sw))
  c(moments, totals, list(shift = shift, design = design))
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
    if (length(kept) > 0L) {
      residual <- residual - sum(xx[j, kept] * solve(xx[kept, kept, drop = FALSE], xx[kept, j]))
    }
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
  list(
    coefficients = stats::setNames(coefficients, names), cov = cov, rss = max(rss, 0),
    rank = length(kept) + offset, condition = condition
  )
}

new_fit <- function(solved, dispersion, deviance, null_deviance, df_residual, df_null, rows,
                    iterations, converged, method, passes, statistic = "t") {
  cov <- solved$cov * dispersion
  se <- sqrt(diag(cov))
  value <- solved$coefficients / se
  p_value <- if (statistic == "t") {
    2 * stats::pt(-abs(value), df_residual)
  } else {
    2 * stats::pnorm(-abs(value))
  }
  list(
    coefficients = solved$coefficients, std_errors = se, statistic = value,
    statistic_name = statistic, p_values = p_value, cov = cov, dispersion = dispersion,
    deviance = deviance, null_deviance = null_deviance, df_residual = df_residual,
    df_null = df_null, rows = rows, rank = solved$rank, iterations = iterations,
    converged = converged, method = method,
    passes = passes, condition = solved$condition
  )
}
