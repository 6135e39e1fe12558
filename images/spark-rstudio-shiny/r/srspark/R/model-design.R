# From an R model formula and a table's schema to the SQL of every column of the model matrix,
# named and ordered as stats::model.matrix() (and so glm()) would name and order them: numeric
# terms as they are, text and logical columns as treatment-contrast indicators with the first
# level (alphabetical) as reference, interactions as products. The formula is parsed, never
# evaluated; every name must be a column of the table.

MODEL_FUNCTIONS <- c(log = "LN", log2 = "LOG2", log10 = "LOG10", exp = "EXP", sqrt = "SQRT", abs = "ABS")
ARITHMETIC <- c("+", "-", "*", "/", "^", "(")

# The data a model reads: a lazy table of a srs_connect() connection, or a view's name.
model_source <- function(data) {
  if (is.character(data)) return(paste("SELECT * FROM", quote_identifier(table_name(data))))
  if (inherits(data, "tbl_sql") && methods::is(dbplyr::remote_con(data), "Spark SQL")) return(as.character(dbplyr::sql_render(data)))
  stop("data must be a lazy table of a srs_connect() connection or a view name, got ", paste(class(data), collapse = "/"), call. = FALSE)
}

as_model_formula <- function(formula) {
  if (is.character(formula) && length(formula) == 1L && !is.na(formula)) {
    parsed <- tryCatch(str2lang(formula), error = function(e) NULL)
    if (is.null(parsed)) stop("bad formula: cannot parse ", formula, call. = FALSE)
    formula <- parsed
  }
  # A formula object: only its text matters (never its environment).
  if (inherits(formula, "formula")) formula <- str2lang(paste(deparse(formula, width.cutoff = 500L), collapse = " "))
  if (!is.call(formula) || !identical(formula[[1]], as.name("~")) || length(formula) != 3L) {
    stop("bad formula: write it as response ~ terms, e.g. y ~ x + segment", call. = FALSE)
  }
  environment(formula) <- emptyenv()
  class(formula) <- "formula"
  formula
}

# Checks that an expression uses only what can be translated: in terms, +, :, *, -, ^ (crossing)
# and parentheses; inside I() and as a term, arithmetic and MODEL_FUNCTIONS of columns.
check_terms_call <- function(expr) {
  if (is.name(expr) || is.numeric(expr)) return(invisible())
  if (!is.call(expr)) stop("bad formula: ", deparse(expr), " is not a term", call. = FALSE)
  head <- as.character(expr[[1]])
  if (head %in% c("+", ":", "*", "-", "^", "(")) {
    for (part in as.list(expr)[-1]) check_terms_call(part)
    return(invisible())
  }
  check_value_call(expr)
}

check_value_call <- function(expr) {
  if (is.name(expr) || (is.numeric(expr) && length(expr) == 1L)) return(invisible())
  head <- if (is.call(expr)) paste(deparse(expr[[1]]), collapse = "") else ""
  if (head == "I" && length(expr) == 2L) return(check_value_call(expr[[2]]))
  if (head %in% names(MODEL_FUNCTIONS) && length(expr) == 2L) return(check_value_call(expr[[2]]))
  if (head %in% ARITHMETIC && length(expr) %in% c(2L, 3L)) {
    for (part in as.list(expr)[-1]) check_value_call(part)
    return(invisible())
  }
  stop("bad formula: ", paste(deparse(expr), collapse = ""), " is not supported; use columns joined by +, :, *, -, ",
    "I() of arithmetic (+ - * / ^) and ", paste0(names(MODEL_FUNCTIONS), "()", collapse = ", "), call. = FALSE)
}

# SQL of a value expression (a column, arithmetic, a function of them).
value_sql <- function(expr) {
  if (is.name(expr)) return(quote_identifier(as.character(expr)))
  if (is.numeric(expr)) return(sprintf("%.17gD", expr))
  head <- paste(deparse(expr[[1]]), collapse = "")
  args <- lapply(as.list(expr)[-1], value_sql)
  if (head == "I") return(args[[1]])
  if (head == "(") return(paste0("(", args[[1]], ")"))
  if (head %in% names(MODEL_FUNCTIONS)) return(sprintf("%s(%s)", MODEL_FUNCTIONS[[head]], args[[1]]))
  if (head == "^") return(sprintf("POWER(%s, %s)", args[[1]], args[[2]]))
  if (length(args) == 1L) return(sprintf("(%s%s)", head, args[[1]]))
  sprintf("(%s %s %s)", args[[1]], head, args[[2]])
}

NUMERIC_CODES <- c("double", "long", "integer")

# An R column of the right type for each Spark column, zero rows: terms() expands `.` with it.
prototype_frame <- function(schema) {
  columns <- lapply(schema, function(code) switch(code, double = , long = double(), integer = integer(), logical = logical(), string = character(), date = as.Date(character()), timestamp = as.POSIXct(character(), tz = "UTC"), character()))
  structure(columns, names = names(schema), class = "data.frame", row.names = integer())
}

# The design of a model: the data's SQL, the response, the model matrix columns (name, SQL),
# whether there is an intercept, the complete-case condition, and the factor levels.
model_design <- function(formula, data, weights = NULL,
                         response_kind = c("numeric", "binary", "count"), defer_levels = FALSE,
                         xlev = NULL) {
  response_kind <- match.arg(response_kind)
  formula <- as_model_formula(formula)
  source <- model_source(data)
  schema <- query_schema(paste("SELECT * FROM (", source, ") srs_model_data"))
  declared <- declared_levels(schema, xlev)
  used <- setdiff(all.vars(formula), ".")
  unknown <- setdiff(used, names(schema))
  if (!is.null(weights) && !(is.character(weights) && length(weights) == 1L && weights %in% names(schema))) {
    stop("weights must name a numeric column of the table, got ", paste(deparse(weights), collapse = ""), call. = FALSE)
  }
  if (length(unknown) > 0L) {
    stop("unknown column(s) ", paste(unknown, collapse = ", "), " in the formula; the table has ", paste(names(schema), collapse = ", "), call. = FALSE)
  }
  check_value_call(formula[[2]])
  check_terms_call(formula[[3]])
  # Before terms() makes a table of every term: the formula's size from its shape alone.
  size <- formula_size(formula[[3]], n_dot = length(setdiff(names(schema), all.vars(formula[[2]]))))
  check_limit("srspark.max_model_columns", size$terms, "the formula makes at least")
  tt <- stats::terms(formula, data = prototype_frame(schema))
  check_limit("srspark.max_interaction_order", max(c(0L, attr(tt, "order"))), "the formula has")
  if (!is.null(attr(tt, "offset"))) stop("bad formula: offset() is not supported", call. = FALSE)
  factors <- attr(tt, "factors")
  variables <- as.list(attr(tt, "variables"))[-1]
  labels <- vapply(variables, function(v) paste(deparse(v, width.cutoff = 500L), collapse = ""), character(1))
  response_expr <- variables[[attr(tt, "response")]]

  # Each variable: its SQL and whether it is categorical (a text or logical column as it is).
  kind_of <- function(expr) {
    if (is.name(expr)) {
      code <- schema[[as.character(expr)]]
      if (code %in% NUMERIC_CODES) return("numeric")
      if (code %in% c("string", "logical")) return(code)
      stop("column ", as.character(expr), " is a ", code, "; a model takes numbers, text or logicals (convert it first)", call. = FALSE)
    }
    names_inside <- all.vars(expr)
    bad <- names_inside[!schema[names_inside] %in% NUMERIC_CODES]
    if (length(bad) > 0L) stop("bad formula: ", paste(deparse(expr), collapse = ""), " needs numeric columns, and ", paste(bad, collapse = ", "), " is not", call. = FALSE)
    "numeric"
  }
  info <- lapply(variables, function(v) list(sql = value_sql(v), kind = kind_of(v)))
  names(info) <- labels

  response <- info[[attr(tt, "response")]]
  if (response_kind == "numeric" && response$kind != "numeric") stop("the response ", labels[[attr(tt, "response")]], " must be numeric for this family", call. = FALSE)
  if (response_kind == "count" && response$kind != "numeric") stop("the response ", labels[[attr(tt, "response")]], " must be a count (numbers) for the poisson family", call. = FALSE)

  # Complete cases, as glm's na.omit: no NULL (nor NaN) in any variable or the weights.
  checked <- c(vapply(info, `[[`, character(1), "sql"), if (!is.null(weights)) quote_identifier(weights))
  doubles <- intersect(c(used, weights), names(schema)[schema == "double"])
  not_null <- paste(checked, "IS NOT NULL")
  # (A model of no double column has no NaN to leave out: no check, rather than isnan() of nothing.)
  not_nan <- if (length(doubles) == 0L) character() else paste0("NOT isnan(", quote_identifier(doubles), ")")
  where <- paste(c(not_null, not_nan), collapse = " AND ")

  categorical <- labels[vapply(info, function(v) v$kind != "numeric", logical(1))]
  ordered <- intersect(categorical, attr(declared, "ordered"))
  if (length(ordered) > 0L) {
    stop("column ", ordered[[1]], " was written as an ordered factor, which glm() codes by ",
      "polynomial contrasts (contr.poly); srs_glm() codes by treatment contrasts only: copy it as ",
      "factor(", ordered[[1]], ", ordered = FALSE), or give its levels in xlev",
      call. = FALSE
    )
  }
  terms <- list(
    formula = formula, source = source, where = where, where_not_null = paste(not_null, collapse = " AND "), tt = tt, factors = factors, info = info, labels = labels,
    response = response, categorical = categorical, weights = weights,
    declared = declared[intersect(names(declared), categorical)]
  )
  if (isTRUE(defer_levels)) return(structure(terms, class = "srs_model_terms"))
  design_with_levels(terms, model_levels(source, where, info[categorical]))
}

# The numeric variables of every term (none for a term of categorical variables only), by term.
term_numeric_variables <- function(terms) {
  factors <- terms$factors
  if (length(factors) == 0L) return(list())
  lapply(stats::setNames(nm = colnames(factors)), function(term) {
    used <- rownames(factors)[factors[, term] > 0]
    Filter(function(variable) terms$info[[variable]]$kind == "numeric", used)
  })
}

# The numeric part of every term (the product of its numeric variables, "1.0D" for a term of
# categorical variables only): within one combination of the categorical variables' values,
# each model column is its term's numeric part or zero.
term_numeric_parts <- function(terms) {
  vapply(term_numeric_variables(terms), function(numeric) {
    if (length(numeric) == 0L) return("1.0D")
    sql <- vapply(numeric, function(v) terms$info[[v]]$sql, character(1))
    sprintf("CAST(%s AS DOUBLE)", paste(sql, collapse = " * "))
  }, character(1))
}

# The levels of each text column a model may use, in their order: those its column carries (a
# factor written by copy_to() or dbWriteTable()), or those `xlev` gives (a named list of
# character vectors, as glm()'s xlev); attribute "ordered": the columns written as ordered
# factors (xlev makes a column unordered).
declared_levels <- function(schema, xlev) {
  carried <- attr(schema, "levels")
  if (is.null(carried)) carried <- list()
  declared <- lapply(carried, `[[`, "levels")
  ordered <- names(Filter(function(entry) isTRUE(entry$ordered), carried))
  if (!is.null(xlev)) {
    named <- is.list(xlev) && !is.null(names(xlev)) && all(names(xlev) != "")
    if (!named || anyDuplicated(names(xlev)) > 0L) {
      stop("xlev must be a list of level vectors named after text columns, ",
        "e.g. list(tension = c(\"L\", \"M\", \"H\")), got ", paste(deparse(xlev), collapse = ""),
        call. = FALSE
      )
    }
    for (name in names(xlev)) {
      if (!identical(unname(schema[name]), "string")) {
        stop("xlev names ", name, ", which is not a text column of the data", call. = FALSE)
      }
      levels <- xlev[[name]]
      if (is.factor(levels)) levels <- levels(levels)
      if (!is.character(levels) || length(levels) == 0L || anyNA(levels) || anyDuplicated(levels)) {
        stop("xlev$", name, " must be distinct, non-missing levels (text), got ",
          paste(deparse(xlev[[name]]), collapse = ""),
          call. = FALSE
        )
      }
      declared[[name]] <- levels
    }
    ordered <- setdiff(ordered, names(xlev))
  }
  structure(declared, ordered = ordered)
}

# The levels found among the complete rows (sorted), in the order a column declares, as glm()
# keeps a factor's order and drops its levels no complete row has. A value outside the declared
# levels is an error: glm() would have read it as NA.
in_declared_order <- function(found, declared) {
  for (label in intersect(names(found), names(declared))) {
    outside <- setdiff(found[[label]], declared[[label]])
    if (length(outside) > 0L) {
      stop("column ", label, " has values that are not among its levels (",
        paste(declared[[label]], collapse = ", "), "): ",
        paste(utils::head(outside, 5L), collapse = ", "),
        call. = FALSE
      )
    }
    found[[label]] <- declared[[label]][declared[[label]] %in% found[[label]]]
  }
  found
}

# The design of model_design(), from its terms and the levels found among the complete rows.
design_with_levels <- function(terms, levels) {
  levels$levels <- in_declared_order(levels$levels, terms$declared)
  formula <- terms$formula
  tt <- terms$tt
  factors <- terms$factors
  info <- terms$info
  labels <- terms$labels
  response <- terms$response
  categorical <- terms$categorical

  response_sql <- response_as_double(terms, levels$levels)

  # Without an intercept, model.matrix() codes the first categorical variable of the first term
  # that has one by all its levels (dummy variables), not by contrasts.
  if (attr(tt, "intercept") == 0L && length(factors) > 0L) {
    for (term in colnames(factors)) {
      first <- Find(function(variable) factors[variable, term] > 0 && info[[variable]]$kind != "numeric", rownames(factors))
      if (!is.null(first)) {
        factors[first, term] <- 2L
        break
      }
    }
  }
  for (label in names(levels$levels)) check_limit("srspark.max_levels", length(levels$levels[[label]]), sprintf("column %s has", label))
  # Each term's columns: the product of its variables' (kept) levels; numeric variables count one.
  widths <- vapply(colnames(factors), function(term) {
    variables <- rownames(factors)[factors[, term] > 0]
    prod(vapply(variables, function(v) if (info[[v]]$kind == "numeric") 1 else length(levels$levels[[v]]) - (factors[v, term] == 1L), 0))
  }, 0)
  check_limit("srspark.max_model_columns", sum(widths), "the model has")
  made <- design_columns(factors, info, levels$levels)
  columns <- made$columns
  if (nrow(columns) == 0L && attr(tt, "intercept") == 0L) stop("bad formula: the model has no terms and no intercept", call. = FALSE)
  list(
    formula = formula,
    source = terms$source,
    where = terms$where,
    response = response_sql,
    response_label = labels[[attr(tt, "response")]],
    weights = weights_as_double(terms),
    intercept = attr(tt, "intercept") == 1L,
    columns = columns,
    cells = made$cells,
    categorical = lapply(stats::setNames(categorical, categorical), function(label) list(label = label, sql = info[[label]]$sql, kind = info[[label]]$kind, levels = levels$levels[[label]])),
    rows = levels$rows
  )
}

# The response as a number: logicals 1 and 0, text 0 at its first level (of `levels`) and 1
# elsewhere.
response_as_double <- function(terms, levels) {
  response <- terms$response
  switch(response$kind,
    logical = sprintf("CASE WHEN %s THEN 1.0D ELSE 0.0D END", response$sql),
    string = {
      first <- levels[[terms$labels[[attr(terms$tt, "response")]]]][[1]]
      sprintf("CASE WHEN %s = %s THEN 0.0D ELSE 1.0D END", response$sql, quote_text(first))
    },
    sprintf("CAST(%s AS DOUBLE)", response$sql)
  )
}

# The prior weights column as a number, or NULL without weights.
weights_as_double <- function(terms) {
  if (!is.null(terms$weights)) sprintf("CAST(%s AS DOUBLE)", quote_identifier(terms$weights))
}

quote_text <- function(x) paste0("'", gsub("'", "\\\\'", gsub("\\", "\\\\", enc2utf8(x), fixed = TRUE)), "'")

# The levels of every categorical variable among the complete cases, in one pass, sorted as R
# sorts text in the C locale (code points), and the number of complete rows.
model_levels <- function(source, where, categorical) {
  # At most one value past the bound reaches R: enough to say the bound is passed.
  keep <- limit_of("srspark.max_levels") + 1
  sets <- vapply(seq_along(categorical), function(i) {
    sprintf("slice(sort_array(collect_set(CAST(%s AS STRING))), 1, %d)", categorical[[i]]$sql, as.integer(min(keep, .Machine$integer.max)))
  }, character(1))
  select <- paste(c("COUNT(*) AS srs_rows", if (length(sets) > 0L) sprintf("to_json(array(%s)) AS srs_levels", paste(sets, collapse = ", "))), collapse = ", ")
  out <- spark_reader(spark_sql(sprintf("SELECT %s FROM (%s) srs_model_data WHERE %s", select, source, where)))$fetch()
  rows <- out$srs_rows
  if (rows == 0) stop("no complete rows: every row has a missing value in a column the model uses", call. = FALSE)
  found <- if (length(sets) > 0L) jsonlite::fromJSON(out$srs_levels, simplifyVector = FALSE) else list()
  levels <- lapply(seq_along(categorical), function(i) {
    values <- as.character(unlist(found[[i]]))
    if (categorical[[i]]$kind == "logical") values <- toupper(values)
    values
  })
  names(levels) <- names(categorical)
  list(levels = levels, rows = rows)
}

# The model matrix columns (name and SQL) without the intercept, term by term; within a term the
# first variable varies fastest, as model.matrix() orders them.
design_columns <- function(factors, info, levels) {
  columns <- data.frame(name = character(), sql = character(), term = character(), stringsAsFactors = FALSE)
  # For each column, the categorical values it is non-zero for (variable = level): a column is
  # its term's numeric part on the rows with those values, and zero elsewhere.
  cells <- list()
  if (length(factors) == 0L) return(list(columns = columns, cells = cells))
  for (term in colnames(factors)) {
    pieces <- list()
    for (variable in rownames(factors)[factors[, term] > 0]) {
      v <- info[[variable]]
      if (v$kind == "numeric") {
        pieces[[length(pieces) + 1L]] <- list(name = variable, sql = v$sql, cells = list(character()))
        next
      }
      all_levels <- levels[[variable]]
      if (length(all_levels) < 2L) stop("column ", variable, " has fewer than two values among the complete rows; a model cannot use it", call. = FALSE)
      kept <- if (factors[variable, term] == 1L) all_levels[-1] else all_levels
      test <- if (v$kind == "logical") {
        ifelse(kept == "TRUE", v$sql, sprintf("NOT %s", v$sql))
      } else {
        sprintf("%s = %s", v$sql, quote_text(kept))
      }
      pieces[[length(pieces) + 1L]] <- list(
        name = paste0(variable, kept), sql = sprintf("CASE WHEN %s THEN 1.0D ELSE 0.0D END", test),
        cells = lapply(kept, function(level) stats::setNames(level, variable))
      )
    }
    combined <- pieces[[1]]
    for (piece in pieces[-1]) {
      grid <- expand.grid(first = seq_along(combined$name), second = seq_along(piece$name))
      combined <- list(
        name = paste(combined$name[grid$first], piece$name[grid$second], sep = ":"),
        sql = paste(combined$sql[grid$first], piece$sql[grid$second], sep = " * "),
        cells = Map(c, combined$cells[grid$first], piece$cells[grid$second])
      )
    }
    columns <- rbind(columns, data.frame(name = combined$name, sql = combined$sql, term = term, stringsAsFactors = FALSE))
    cells <- c(cells, combined$cells)
  }
  columns$sql <- sprintf("CAST(%s AS DOUBLE)", columns$sql)
  list(columns = columns, cells = cells)
}
