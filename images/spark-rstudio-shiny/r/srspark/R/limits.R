# Bounds on what one call may ask of the cluster and of the R process, so a formula or a file
# from a visitor of a public app cannot take the head down: `y ~ .^3` over 200 columns is over a
# million model columns, a text column with 100,000 values as many indicators. Each bound is an
# option, and the error names it: a user who means it raises it.

LIMITS <- list(
  srspark.max_model_columns = list(default = 500L, what = "model columns"),
  srspark.max_interaction_order = list(default = 3L, what = "variables in one interaction"),
  srspark.max_levels = list(default = 1000L, what = "distinct values"),
  srspark.max_groups = list(default = 20000L, what = "combinations of the model's text and logical values"),
  srspark.max_copy_columns = list(default = 1000L, what = "columns copied into Spark at once")
)

# The bound an option sets now: the option when it is a positive number (Inf too), else the default.
limit_of <- function(option) {
  value <- getOption(option)
  if (is.numeric(value) && length(value) == 1L && !is.na(value) && value > 0) return(value)
  LIMITS[[option]]$default
}

# Stops with one error naming the bound and how to raise it, when `count` goes past it.
check_limit <- function(option, count, context) {
  limit <- limit_of(option)
  if (count <= limit) return(invisible(count))
  stop(sprintf(
    "%s %s %s, more than %s allows (%s); simplify, or raise it with options(%s = ...)",
    context, format(count, big.mark = ",", scientific = FALSE), LIMITS[[option]]$what, option,
    format(limit, big.mark = ",", scientific = FALSE), option
  ), call. = FALSE)
}

# How many terms and how high an interaction a formula's right side can make, from its shape
# alone (terms() itself would build a table of every term first): `.` stands for `n_dot`
# columns. The count of terms is exact for formulas without repeated variables and an upper
# bound otherwise; every term is at least one model column.
formula_size <- function(expr, n_dot) {
  if (is.name(expr)) return(if (identical(expr, as.name("."))) list(terms = n_dot, order = 1) else list(terms = 1, order = 1))
  if (is.numeric(expr)) return(list(terms = 0, order = 0))
  head <- if (is.call(expr)) as.character(expr[[1]]) else ""
  parts <- lapply(as.list(expr)[-1], formula_size, n_dot = n_dot)
  switch(head,
    "+" = list(terms = sum(vapply(parts, `[[`, 0, "terms")), order = max(vapply(parts, `[[`, 0, "order"))),
    "-" = if (length(parts) == 1L) list(terms = 0, order = 0) else parts[[1]],
    "(" = parts[[1]],
    ":" = list(terms = parts[[1]]$terms * parts[[2]]$terms, order = parts[[1]]$order + parts[[2]]$order),
    "*" = list(terms = parts[[1]]$terms + parts[[2]]$terms + parts[[1]]$terms * parts[[2]]$terms, order = parts[[1]]$order + parts[[2]]$order),
    "^" = {
      k <- if (is.numeric(expr[[3]])) min(as.numeric(expr[[3]]), parts[[1]]$terms) else 1
      list(terms = sum(choose(parts[[1]]$terms, seq_len(max(k, 1)))), order = k * parts[[1]]$order)
    },
    # I(), log() and the like: one term of one value.
    list(terms = 1, order = 1)
  )
}
