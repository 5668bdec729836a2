# One patient: libcart's cart_solver_solve_endpoints, the code a trial's patient is solved with.

named_numbers <- function(values, what) {
  if (is.null(values)) return(stats::setNames(numeric(), character()))
  if (is.list(values)) values <- unlist(values)
  if (!is.numeric(values) && !is.logical(values)) {
    cart_stop(sprintf("%s must be a named list or vector of numbers", what))
  }
  if (length(values) && (is.null(names(values)) || any(!nzchar(names(values)) | is.na(names(values))))) {
    cart_stop(sprintf("%s must name every value (e.g. c(rho = 0.7))", what))
  }
  stats::setNames(as.numeric(values), names(values))
}

solve_times <- function(times) {
  if (is.character(times)) {
    check_string(times, "times")
    return(cart_result(.Call(C_rcart_parse_times, times)))
  }
  if (!is.numeric(times) || length(times) < 1L) cart_stop("times must be numbers (days) or a string such as \"0:28:1\"")
  as.numeric(times)
}

toci_rule_text <- function(rule) {
  if (is.null(rule) || isFALSE(rule)) return(NULL)
  if (isTRUE(rule)) return("on")
  check_string(rule, "toci_rule")
  rule
}

optional_number <- function(value, what) {
  if (is.null(value)) return(NA_real_)
  if (!is.numeric(value) || length(value) != 1L || is.na(value)) cart_stop(sprintf("%s must be one number", what))
  as.numeric(value)
}

solve_atol <- function(atol, info) {
  if (is.null(atol)) return(NULL)
  states <- info$states$name
  values <- info$states$abs_tol
  if (!is.numeric(atol)) cart_stop("atol must be numbers")
  if (!is.null(names(atol))) {
    unknown <- setdiff(names(atol), states)
    if (length(unknown)) {
      cart_stop(sprintf("atol: model '%s' has no state '%s' (states: %s)", info$name, unknown[1L],
                        paste(states, collapse = ", ")))
    }
    values[match(names(atol), states)] <- as.numeric(atol)
  } else if (length(atol) == 1L) {
    values[] <- as.numeric(atol)
  } else if (length(atol) == length(states)) {
    values <- as.numeric(atol)
  } else {
    cart_stop(sprintf("atol: expected %d values (%s), got %d", length(states),
                      paste(states, collapse = ", "), length(atol)))
  }
  values
}

cart_solve <- function(model = "cart", params = NULL, events = NULL, times = 0:365,
                       doses = character(), toci = character(), toci_rule = NULL,
                       method = "rodas5p", rtol = NULL, atol = NULL, max_steps = NULL,
                       n_ext = NULL, endpoint_settings = NULL) {
  info <- cart_model_info(model)
  params <- named_numbers(params, "params")
  settings <- named_numbers(endpoint_settings, "endpoint_settings")
  check_string(method, "method")
  if (!is.character(doses) || !is.character(toci)) {
    cart_stop("doses and toci must be character vectors of dose texts (\"14:1e8\", \"5:8\")")
  }
  table <- if (is.null(events)) {
    list(cart = character(), cart_what = character(), toci = character(),
         toci_what = character(), observations = numeric())
  } else {
    event_doses(events, info)
  }
  if (length(table$observations)) {
    if (!missing(times)) cart_stop("events has observation rows (evid 0) and times is given: give the output times once")
    times <- table$observations
  }
  times <- solve_times(times)
  if (!is.null(max_steps) && (!is.numeric(max_steps) || length(max_steps) != 1L || is.na(max_steps) ||
                              max_steps < 1 || max_steps != round(max_steps) || max_steps > 2^53)) {
    cart_stop("max_steps must be a positive whole number")
  }
  raw <- cart_result(.Call(C_rcart_solve, info$name, params,
                           c(doses, table$cart), c(rep("doses", length(doses)), paste0(table$cart_what, ": doses")),
                           c(toci, table$toci), c(rep("toci", length(toci)), paste0(table$toci_what, ": toci")),
                           toci_rule_text(toci_rule), times, method, optional_number(rtol, "rtol"),
                           solve_atol(atol, info), optional_number(max_steps, "max_steps"),
                           optional_number(n_ext, "n_ext"), settings))
  columns <- c(list(time = times),
               stats::setNames(split(raw$states, col(raw$states)), info$states$name),
               stats::setNames(split(raw$outputs, col(raw$outputs)), info$outputs$name))
  extra <- !info$signals$name %in% names(columns)
  columns <- c(columns, stats::setNames(split(raw$signals, col(raw$signals)),
                                        info$signals$name)[extra])
  frame <- as.data.frame(columns, optional = TRUE)
  units <- c(time = "day",
             stats::setNames(info$states$unit, info$states$name),
             stats::setNames(info$outputs$unit, info$outputs$name),
             stats::setNames(info$signals$unit, info$signals$name)[extra])
  for (name in names(frame)) attr(frame[[name]], "unit") <- units[[name]]
  events_frame <- data.frame(time = raw$events$time, kind = raw$events$kind,
                             state = info$states$name[raw$events$state],
                             amount_mg = raw$events$amount_mg, stringsAsFactors = FALSE)
  structure(frame, class = c("cart_solution", "data.frame"), model = info$name, units = units,
            endpoints = data.frame(name = info$endpoints$name, value = raw$endpoints,
                                   unit = info$endpoints$unit, stringsAsFactors = FALSE),
            events = events_frame,
            params = stats::setNames(raw$params, info$params$name),
            stats = raw$stats)
}

print.cart_solution <- function(x, ..., n = 10L) {
  cat(sprintf("libcart solution of model %s: %d times, %g..%g day\n", attr(x, "model"), nrow(x),
              min(x$time), max(x$time)))
  shown <- as.data.frame(lapply(unclass(x), as.vector), optional = TRUE)
  print(utils::head(shown, n), ...)
  if (nrow(x) > n) cat(sprintf("... %d more rows\n", nrow(x) - n))
  ep <- attr(x, "endpoints")
  if (!is.null(ep) && nrow(ep)) {
    cat("endpoints:\n")
    print(ep, row.names = FALSE)
  }
  invisible(x)
}
