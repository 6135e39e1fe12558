# A Shiny app whose numbers are computed by the Spark cluster, in two modes:
#   Synthetic data  a dataset generated inside Spark (deterministic by seed), aggregated by group
#                   and fitted with a GLM;
#   Your data       a CSV file you upload, copied into Spark, summarised per group and modelled
#                   on the columns you pick.
# All Spark work goes through srspark (a DBI connection dbplyr translates dplyr for, and
# srs_glm()), on SparkR or PySpark alike; copy this app as the start of your own. Errors show in
# the page; the R process and its Spark session survive them.
library(shiny)
library(srspark)
library(dplyr, warn.conflicts = FALSE)

Sys.setenv(SRS_APP_NAME = "srs-shiny-spark-demo")

# The only sizes the page offers, enforced on the server too: a crafted message cannot ask for more.
ROWS <- c("100,000" = 1e5, "1,000,000" = 1e6, "10,000,000" = 1e7, "100,000,000" = 1e8)
UPLOAD_LIMIT_MB <- 20
options(shiny.maxRequestSize = UPLOAD_LIMIT_MB * 1024^2)
# Every visitor shares this R process: an upload of at most 200 columns, and models within
# srspark's default bounds (500 model columns, 1,000 values of a text column, interactions of 3).
options(srspark.max_copy_columns = 200)

# An interactive app: keep the executors it holds while idle, so the first input change after a
# pause does not wait for new executor JVMs. srspark keeps them all only while no other
# application holds a core or waits for one; otherwise it leaves a core for the others, and gives
# back at once what it does not keep while they have every core.
options(srspark.keep_executors = Inf)
# The head starts this app with itself (srs-shiny-warm), long before anyone visits: its session
# asks for no executor until its warm-up (below), so that it holds no core while others run.
options(srspark.session_conf = list(spark.dynamicAllocation.initialExecutors = 0))
con <- srs_connect()

# The per-group query of the synthetic data, grouped by `by` ("segment" or "x_decile").
aggregate_query <- function(data, by) {
  grouped <- if (by == "segment") {
    group_by(data, segment)
  } else {
    group_by(mutate(data, x_decile = as.integer(floor(x * 10))), x_decile)
  }
  summarise(grouped, n = n(), mean_x = mean(x, na.rm = TRUE), mean_y = mean(y, na.rm = TRUE))
}

# The synthetic data's numbers: the per-group aggregate (the SQL of aggregate_query()) and the fit
# of `model`, on `rows` rows generated with `seed` into the view `view`, kept where x >= min_x.
# Grouped by segment, a model of y on x and segment takes its one pass grouped by segment too:
# the fit's groups (srs_glm()'s `groups`) are the per-segment numbers, and the data are generated
# once a change instead of twice (the synthetic data have no missing values, so the model's
# complete rows are all the rows). Otherwise the aggregate and the fit overlap: dbSendQuery()
# starts the aggregate (Spark runs its shuffle in the background) while R sets up the fit, and
# dbFetch() collects it after.
synthetic_numbers <- function(rows, seed, min_x, by, model, view, sql) {
  data <- srs_synthetic(con, rows, seed = seed, name = view) |> filter(x >= !!min_x)
  if (by == "segment" && models_y_on(model, c("x", "segment"))) {
    fit <- tryCatch(srs_glm(model, data), error = function(e) e)
    aggregate <- if (!inherits(fit, "error")) segment_means(fit$groups)
    # A fit that failed, or whose groups lack them (y ~ log(x) + segment), leaves the aggregate
    # to its query.
    if (is.null(aggregate)) aggregate <- dbGetQuery(con, sql(data, by, min_x))
  } else {
    pending <- dbSendQuery(con, sql(data, by, min_x))
    fit <- tryCatch(srs_glm(model, data), error = function(e) e)
    aggregate <- tryCatch(dbFetch(pending), finally = dbClearResult(pending))
  }
  # Sorted in R: the result is a few rows, and a sort in Spark would cost two more jobs (a sample
  # for its range partitioning, then its shuffle), about 0.5 s a change.
  aggregate <- aggregate |>
    arrange(.data[[by]]) |>
    mutate(n = as.integer(n))
  if (nrow(aggregate) == 0L) stop("no rows pass the filter x >= ", min_x, call. = FALSE)
  if (inherits(fit, "error")) stop(fit)
  list(aggregate = aggregate, fit = fit)
}

# Whether `model` (a formula's text) is y ~ terms that use each of `variables`; it is read, never
# evaluated.
models_y_on <- function(model, variables) {
  formula <- tryCatch(str2lang(model), error = function(e) NULL)
  is.call(formula) && identical(formula[[1L]], as.name("~")) && length(formula) == 3L &&
    identical(formula[[2L]], as.name("y")) && all(variables %in% all.vars(formula[[3L]]))
}

# The per-segment numbers from a fit's groups, or NULL when they are not grouped by segment alone
# or lack the means of x and y.
segment_means <- function(groups) {
  keys <- setdiff(names(groups), c("n", grep("^mean_", names(groups), value = TRUE)))
  if (!identical(keys, "segment") || !all(c("mean_x", "mean_y") %in% names(groups))) return(NULL)
  groups[c("segment", "n", "mean_x", "mean_y")]
}

# The page's first computation, once, before anyone visits and only while this app is alone on
# the cluster: its executors start and run the app's work (Spark's code for it compiled), and the
# app keeps them while it idles, so a first visit costs about what any later change does (about
# 20 s at 10^5 rows on new executors). It gives way to any other application (see srs_warm_up());
# alone, it may take its time on a loaded machine.
srs_warm_up(function() {
  sql <- function(data, by, min_x) dbplyr::sql_render(aggregate_query(data, by))
  synthetic_numbers(1e5, 42, 0, "segment", "y ~ x + segment", "demo_warm_up", sql)
  dbRemoveTable(con, "demo_warm_up", fail_if_missing = FALSE)
}, max_seconds = 300)

# A view name of this browser session's own: sessions share the R process's Spark session.
session_view <- function(session, prefix) paste0(prefix, "_", gsub("[^A-Za-z0-9]", "", session$token))

problem_box <- function(id, message) {
  div(id = id, class = "alert alert-danger", role = "alert", strong("Spark could not compute this: "), message)
}

coefficient_table <- function(fit) {
  data.frame(term = names(coef(fit)), estimate = unname(coef(fit)), std_error = unname(fit$std_errors), check.names = FALSE)
}

synthetic_tab <- tabPanel(
  "Synthetic data",
  value = "synthetic",
  sidebarLayout(
    sidebarPanel(
      selectInput("rows", "Rows (generated inside Spark)", choices = ROWS, selected = 1e5),
      numericInput("seed", "Seed", value = 42, min = 0, max = 1e6, step = 1),
      radioButtons("by", "Group by", choices = c("segment" = "segment", "decile of x" = "x_decile"), selected = "segment"),
      numericInput("min_x", "Keep rows with x \u2265", value = 0, min = 0, max = 0.99, step = 0.05),
      textInput("formula", "GLM formula (columns: x, segment, grp, y)", value = "y ~ x + segment"),
      helpText("y = 1.5 + 2 x + 0.25 grp + noise; x in [0, 1); segment A\u2026H.")
    ),
    mainPanel(
      uiOutput("problem_box"),
      div(id = "status", textOutput("status")),
      h4("Per group"),
      tableOutput("aggregate"),
      plotOutput("plot", height = "260px"),
      h4("GLM coefficients (fitted by Spark)"),
      tableOutput("coefficients")
    )
  )
)

upload_tab <- tabPanel(
  "Your data",
  value = "upload",
  sidebarLayout(
    sidebarPanel(
      fileInput("file", sprintf("A CSV file with a header row (at most %d MB)", UPLOAD_LIMIT_MB), accept = c(".csv", "text/csv")),
      selectInput("group_by", "Group by", choices = character()),
      selectInput("measure", "Summarise (a numeric column)", choices = character()),
      textInput("upload_formula", "GLM formula (any columns)", value = ""),
      helpText("The file goes through this app's R process into Spark: keep it small; put large data in /data and read it with srs_read().")
    ),
    mainPanel(
      uiOutput("upload_problem_box"),
      div(id = "upload_status", textOutput("upload_status")),
      h4("Per group"),
      tableOutput("upload_summary"),
      h4("GLM coefficients (fitted by Spark)"),
      tableOutput("upload_coefficients")
    )
  )
)

# When the head restarts, this R process (and every session in it) is gone and Shiny greys the
# page for good. The page instead waits until Shiny Server answers again and reloads itself: a
# new session, computing again. At most 3 reloads in 10 minutes, so an app that keeps failing
# does not reload for ever.
reload_when_back <- tags$script(HTML("
$(document).on('shiny:disconnected', function() {
  var key = 'srs-demo-reloads', now = Date.now();
  var recent = JSON.parse(sessionStorage.getItem(key) || '[]')
    .filter(function(t) { return now - t < 600000; });
  if (recent.length >= 3) return;
  var retry = function() {
    fetch(window.location.href, { cache: 'no-store' }).then(function(response) {
      if (!response.ok) return setTimeout(retry, 2000);
      sessionStorage.setItem(key, JSON.stringify(recent.concat([Date.now()])));
      window.location.reload();
    }, function() { setTimeout(retry, 2000); });
  };
  setTimeout(retry, 2000);
});
"))

ui <- fluidPage(
  reload_when_back,
  titlePanel("Spark from R: aggregates and models computed by the cluster"),
  tabsetPanel(id = "mode", synthetic_tab, upload_tab)
)

server <- function(input, output, session) {
  synthetic_view <- session_view(session, "synthetic")
  upload_view <- session_view(session, "upload")
  session$onSessionEnded(function() {
    for (view in c(synthetic_view, upload_view)) try(dbRemoveTable(con, view, fail_if_missing = FALSE), silent = TRUE)
  })

  # --- Synthetic data: one computation per input change; errors are returned, not thrown ---
  formula <- debounce(reactive(input$formula), 600)
  # One computation per pause in the inputs, at most one a second per browser session, however
  # fast the inputs change (a crafted client can send changes as fast as it likes; they all share
  # this R process). The debounce merges the changes that queued up while a computation ran (R
  # reads them one right after another once it is free): a throttle alone lets each of them
  # through, since every computation takes longer than its period. It is short because every
  # input change waits for it; the browser already waits 250 ms after each keystroke.
  inputs <- throttle(debounce(reactive(list(rows = as.numeric(input$rows), seed = input$seed, min_x = input$min_x, by = input$by)), 50), 1000)
  # Computations started in this session, shown in the status line (the limit made visible).
  computations <- 0L
  # The per-group query's SQL depends on the grouping and the filter, not on the seed (the view it
  # reads is replaced in place): dbplyr translates it once per pair (its summarise() costs R about
  # 70 ms, a twentieth of a change). Only the last pair is kept.
  aggregate_sql <- local({
    last <- list(key = NULL, sql = NULL)
    function(data, by, min_x) {
      key <- list(by, min_x)
      if (!identical(last$key, key)) {
        last <<- list(key = key, sql = dbplyr::sql_render(aggregate_query(data, by)))
      }
      last$sql
    }
  })

  result <- reactive({
    current <- inputs()
    rows <- current$rows
    seed <- current$seed
    min_x <- current$min_x
    by <- current$by
    tryCatch(
      {
        if (length(rows) != 1L || is.na(rows) || !rows %in% ROWS) stop("rows must be one of ", paste(names(ROWS), collapse = ", "), call. = FALSE)
        if (!is.numeric(seed) || length(seed) != 1L || is.na(seed)) stop("give a seed (a whole number from 0 to 1e6)", call. = FALSE)
        if (!is.numeric(min_x) || length(min_x) != 1L || is.na(min_x) || min_x < 0 || min_x >= 1) stop("give the filter a number in [0, 1)", call. = FALSE)
        if (!is.character(by) || length(by) != 1L || !by %in% c("segment", "x_decile")) stop("group by segment or x_decile", call. = FALSE)
        if (srs_alive_workers() == 0L) stop("the cluster has no ALIVE Spark worker; add some (srs scale 2). Checking again every 10 s.", call. = FALSE)
        computations <<- computations + 1L
        started <- Sys.time()
        numbers <- synthetic_numbers(
          rows, seed, min_x, by, formula(), synthetic_view, aggregate_sql
        )
        seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
        info <- srs_cluster_info()
        if (info$executors == 0L) stop("the cluster has no executors: no Spark worker is registered", call. = FALSE)
        list(ok = TRUE, aggregate = as.data.frame(numbers$aggregate), coefficients = coefficient_table(numbers$fit), seconds = seconds, info = info, rows = rows, seed = seed, computation = computations)
      },
      error = function(e) {
        # A cluster that is down or has no workers may come back: look again by itself.
        if (grepl("no ALIVE Spark worker|does not answer", conditionMessage(e))) invalidateLater(10000)
        list(ok = FALSE, message = conditionMessage(e))
      }
    )
  })

  output$problem_box <- renderUI({
    r <- result()
    if (!r$ok) problem_box("problem", r$message)
  })

  output$status <- renderText({
    r <- result()
    if (!r$ok) return("")
    sprintf(
      "computed by Spark on %d executors in %.2f s (%s backend, Spark %s, app %s) for %s rows, seed %d; computation %d of this session",
      r$info$executors, r$seconds, r$info$backend, r$info$spark_version, r$info$app_id, format(r$rows, big.mark = ",", scientific = FALSE), as.integer(r$seed), r$computation
    )
  })

  output$aggregate <- renderTable({
    r <- result()
    if (r$ok) r$aggregate
  }, digits = 9)

  output$plot <- renderPlot({
    r <- result()
    req(r$ok)
    a <- r$aggregate
    barplot(a$mean_y, names.arg = a[[1]], col = "#4a7ab5", border = NA, ylab = "mean of y", xlab = names(a)[1])
  })

  output$coefficients <- renderTable({
    r <- result()
    if (r$ok) r$coefficients
  }, digits = 6)

  # --- Your data ---
  uploaded <- reactive({
    file <- input$file
    req(file)
    tryCatch(
      {
        frame <- utils::read.csv(file$datapath, stringsAsFactors = FALSE)
        if (ncol(frame) == 0L || nrow(frame) == 0L) stop("the file has no rows", call. = FALSE)
        copy_to(con, frame, upload_view, overwrite = TRUE)
        list(ok = TRUE, frame = frame, name = file$name, rows = nrow(frame), numeric = names(frame)[vapply(frame, is.numeric, logical(1))], columns = names(frame))
      },
      error = function(e) list(ok = FALSE, message = conditionMessage(e))
    )
  })

  observeEvent(uploaded(), {
    u <- uploaded()
    if (!u$ok) return()
    groups <- setdiff(u$columns, u$numeric)
    updateSelectInput(session, "group_by", choices = u$columns, selected = if (length(groups) > 0L) groups[[1]] else u$columns[[1]])
    updateSelectInput(session, "measure", choices = u$numeric, selected = if (length(u$numeric) > 0L) u$numeric[[1]] else character())
  })

  upload_formula <- debounce(reactive(input$upload_formula), 600)

  upload_result <- reactive({
    u <- uploaded()
    if (!u$ok) return(u)
    group <- input$group_by
    measure <- input$measure
    req(group, measure)
    tryCatch(
      {
        # Only the file's own columns reach the query, whatever the browser sends.
        if (!group %in% u$columns) stop("no column named ", group, call. = FALSE)
        if (!measure %in% u$numeric) stop(measure, " is not a numeric column", call. = FALSE)
        # A Spark session reopened after the master was replaced has lost the view: copy it again.
        if (!dbExistsTable(con, upload_view)) copy_to(con, u$frame, upload_view, overwrite = TRUE)
        data <- tbl(con, upload_view)
        summary <- data |>
          group_by(.data[[group]]) |>
          summarise(n = n(), mean = mean(.data[[measure]], na.rm = TRUE), min = min(.data[[measure]], na.rm = TRUE), max = max(.data[[measure]], na.rm = TRUE)) |>
          arrange(.data[[group]]) |>
          collect() |>
          mutate(n = as.integer(n))
        text <- trimws(upload_formula())
        model <- if (text == "") sprintf("%s ~ %s", measure, group) else text
        fit <- srs_glm(model, data)
        list(ok = TRUE, summary = as.data.frame(summary), coefficients = coefficient_table(fit), model = model, name = u$name, rows = u$rows)
      },
      error = function(e) list(ok = FALSE, message = conditionMessage(e))
    )
  })

  output$upload_problem_box <- renderUI({
    r <- upload_result()
    if (!r$ok) problem_box("upload_problem", r$message)
  })

  output$upload_status <- renderText({
    r <- upload_result()
    if (r$ok) sprintf("%s: %s rows copied into Spark; model %s", r$name, format(r$rows, big.mark = ","), r$model) else ""
  })

  output$upload_summary <- renderTable({
    r <- upload_result()
    if (r$ok) r$summary
  }, digits = 9)

  output$upload_coefficients <- renderTable({
    r <- upload_result()
    if (r$ok) r$coefficients
  }, digits = 6)
}

shinyApp(ui, server)
