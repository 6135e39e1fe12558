# A Shiny app whose numbers are computed by the Spark cluster: a synthetic dataset generated
# inside Spark (deterministic by seed), aggregated by group and fitted with an MLlib GLM.
# All Spark work goes through the srspark package, on SparkR or PySpark alike; copy this app as
# the start of your own. Errors show in the page; the R process and its Spark session survive.
library(shiny)
library(srspark)

Sys.setenv(SRS_APP_NAME = "srs-shiny-spark-demo")

ui <- fluidPage(
  titlePanel("Spark from R: a synthetic dataset, aggregated and modelled by the cluster"),
  sidebarLayout(
    sidebarPanel(
      selectInput("rows", "Rows (generated inside Spark)", choices = c("100,000" = 1e5, "1,000,000" = 1e6, "10,000,000" = 1e7, "100,000,000" = 1e8), selected = 1e5),
      numericInput("seed", "Seed", value = 42, min = 0, max = 1e6, step = 1),
      radioButtons("by", "Group by", choices = c("segment" = "segment", "decile of x" = "x_decile"), selected = "segment"),
      numericInput("min_x", "Keep rows with x ≥", value = 0, min = 0, max = 0.99, step = 0.05),
      textInput("formula", "GLM formula (terms: x, segment, grp)", value = "y ~ x + segment"),
      helpText("y = 1.5 + 2 x + 0.25 grp + noise; x in [0, 1); segment A…H.")
    ),
    mainPanel(
      uiOutput("problem_box"),
      div(id = "status", textOutput("status")),
      h4("Per group"),
      tableOutput("aggregate"),
      plotOutput("plot", height = "260px"),
      h4("GLM coefficients (Spark MLlib)"),
      tableOutput("coefficients")
    )
  )
)

server <- function(input, output, session) {
  formula <- debounce(reactive(input$formula), 600)

  # One computation per input change; errors are returned, not thrown, so the page can say them.
  result <- reactive({
    rows <- as.numeric(input$rows)
    seed <- input$seed
    min_x <- input$min_x
    tryCatch(
      {
        if (is.null(seed) || is.na(seed)) stop("give a seed (a whole number from 0 to 1e6)", call. = FALSE)
        if (is.null(min_x) || is.na(min_x)) stop("give the filter a number in [0, 1)", call. = FALSE)
        checked <- srs_validate_formula(formula())
        if (srs_alive_workers() == 0L) stop("the cluster has no ALIVE Spark worker; add some (srs scale 2). Checking again every 10 s.", call. = FALSE)
        started <- Sys.time()
        srs_synthetic(rows, seed = seed, name = "synthetic")
        aggregate <- srs_aggregate("synthetic", by = input$by, min_x = min_x)
        if (nrow(aggregate) == 0L) stop("no rows pass the filter x >= ", min_x, call. = FALSE)
        coefficients <- srs_glm("synthetic", checked, min_x = min_x)
        seconds <- as.numeric(difftime(Sys.time(), started, units = "secs"))
        info <- srs_cluster_info()
        if (info$executors == 0L) stop("the cluster has no executors: no Spark worker is registered", call. = FALSE)
        list(ok = TRUE, aggregate = aggregate, coefficients = coefficients, seconds = seconds, info = info, rows = rows, seed = seed)
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
    if (r$ok) return(NULL)
    div(id = "problem", class = "alert alert-danger", role = "alert", strong("Spark could not compute this: "), r$message)
  })

  output$status <- renderText({
    r <- result()
    if (!r$ok) return("")
    sprintf(
      "computed by Spark on %d executors in %.2f s (%s backend, Spark %s, app %s) for %s rows, seed %d",
      r$info$executors, r$seconds, r$info$backend, r$info$spark_version, r$info$app_id, format(r$rows, big.mark = ",", scientific = FALSE), as.integer(r$seed)
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
}

shinyApp(ui, server)
