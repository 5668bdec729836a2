# Fitting one patient's data: libcart's cart_fit.h (the code `cart fit` and Python's fit() run):
# maximum likelihood or MAP, Beal's M3 for values below the LLOQ, Levenberg-Marquardt then BFGS
# with gradients from the forward sensitivity equations. Data frames in, data frames out; the
# data's text forms (long CSV, NONMEM, PEtab) are read by libcart's one reader.

# A PEtab measurement table's TSV text of a data frame: numbers written with %.17g (each the
# double given), NA empty.
petab_text <- function(frame) {
  columns <- lapply(frame, function(x) {
    out <- if (is.numeric(x)) sprintf("%.17g", as.double(x)) else as.character(x)
    out[is.na(x)] <- ""
    out
  })
  rows <- if (nrow(frame)) do.call(paste, c(unname(columns), sep = "\t")) else character()
  paste0(c(paste(names(frame), collapse = "\t"), rows), "\n", collapse = "")
}

# (text, source) of fit data: a data frame, a file's path, or CSV text.
fit_data_text <- function(data, format) {
  if (is.data.frame(data)) {
    if (format == "long") {
      names(data)[tolower(names(data)) == "obs"] <- "observable"
      missing <- setdiff(c("time", "observable", "value"), names(data))
      if (length(missing)) {
        cart_stop(sprintf("data: no column %s (a data frame of time, observable, value and optionally blq, lloq)",
                          missing[1L]), CART_EPARSE, "CART_EPARSE")
      }
    }
    logical <- vapply(data, is.logical, TRUE)
    data[logical] <- lapply(data[logical], as.integer) # blq: 0/1
    # the CSV of an events table (events.R), read by libcart as a file is
    return(list(text = if (format == "petab") petab_text(data) else events_csv(data),
                source = "data (a data frame; line 1 is its header)"))
  }
  file_or_text(data, "data")
}

# The fitted parameters: c("rho", "alpha"), c(rho = 0.8), or list(rho = c(initial, lower, upper)).
fit_specs <- function(fit) {
  if (is.null(fit) || !length(fit)) cart_stop("fit: name at least one parameter to fit (e.g. fit = c(\"rho\", \"alpha\"))")
  if (is.character(fit) && is.null(names(fit))) {
    return(list(names = fit, initial = rep(NA_real_, length(fit)), lower = rep(NA_real_, length(fit)),
                upper = rep(NA_real_, length(fit))))
  }
  if (is.null(names(fit)) || any(!nzchar(names(fit)))) {
    cart_stop("fit must be parameter names, or a named vector or list of initial values or c(initial, lower, upper)")
  }
  specs <- lapply(names(fit), function(name) {
    v <- fit[[name]]
    if (!is.numeric(v) || !length(v) %in% c(1L, 3L)) {
      cart_stop(sprintf("fit %s: expected an initial value or c(initial, lower, upper)", name))
    }
    if (length(v) == 1L) c(v, NA, NA) else v
  })
  list(names = names(fit), initial = vapply(specs, `[`, 0, 1L), lower = vapply(specs, `[`, 0, 2L),
       upper = vapply(specs, `[`, 0, 3L))
}

fit_error_model <- function(error_model) {
  defaults <- list(kind = "additive", log = FALSE, sigma_add = NULL, sigma_prop = 0.1, estimate = TRUE)
  if (is.character(error_model)) error_model <- list(kind = error_model)
  if (!is.list(error_model)) cart_stop("error_model must be \"additive\", \"proportional\", \"combined\" or a list(kind, log, sigma_add, sigma_prop, estimate)")
  unknown <- setdiff(names(error_model), names(defaults))
  if (length(unknown)) cart_stop(sprintf("error_model: unknown entry '%s' (kind, log, sigma_add, sigma_prop, estimate)", unknown[1L]))
  e <- utils::modifyList(defaults, error_model)
  check_string(e$kind, "error_model kind")
  if (is.null(e$sigma_add)) e$sigma_add <- if (isTRUE(e$log)) 0.3 else 1
  for (s in c("sigma_add", "sigma_prop")) {
    v <- e[[s]]
    if (!is.numeric(v) || length(v) != 1L || is.na(v) || v <= 0 || !is.finite(v)) {
      cart_stop(sprintf("error_model %s must be a number > 0", s))
    }
  }
  e
}

# priors: NULL, "scenario", or list(rho = c(typical, cv), ...).
fit_priors <- function(priors) {
  if (is.null(priors)) return(list(names = character(), typical = numeric(), cv = numeric(), scenario = FALSE))
  if (identical(priors, "scenario")) return(list(names = character(), typical = numeric(), cv = numeric(), scenario = TRUE))
  if (!is.list(priors) || is.null(names(priors)) ||
      !all(vapply(priors, function(p) is.numeric(p) && length(p) == 2L, TRUE))) {
    cart_stop("priors must be \"scenario\" or a named list of c(typical, cv) (e.g. list(rho = c(0.8, 0.5)))")
  }
  list(names = names(priors), typical = vapply(priors, `[`, 0, 1L), cv = vapply(priors, `[`, 0, 2L),
       scenario = FALSE)
}

# A fit problem (an external pointer to libcart's fits) and what it was made of.
fit_problem <- function(data, model, scenario, fit, error_model, params, doses, toci, toci_rule,
                        events, priors, finite_differences, format) {
  if (missing(data)) cart_stop("data is missing: a data frame of time, observable, value (or a CSV file)")
  if (missing(fit)) cart_stop("fit is missing: name the parameters to fit (e.g. fit = c(\"rho\", \"alpha\"))")
  s <- if (!is.null(scenario)) scenario_text(scenario) else NULL
  check_string(model, "model")
  model_name <- if (is.null(s)) model else cart_result(.Call(C_rcart_scenario_model, s$text, s$source))
  info <- cart_model_info(model_name)
  params <- named_numbers(params, "params")
  if (!is.character(doses) || !is.character(toci)) {
    cart_stop("doses and toci must be character vectors of dose texts (\"14:1e8\", \"5:8\")")
  }
  table <- if (is.null(events)) {
    list(cart = character(), cart_what = character(), toci = character(), toci_what = character())
  } else {
    event_doses(events, info)
  }
  d <- fit_data_text(data, format)
  f <- fit_specs(fit)
  e <- fit_error_model(error_model)
  p <- fit_priors(priors)
  if (p$scenario && is.null(s)) cart_stop("priors = \"scenario\" needs a scenario")
  ptr <- cart_result(.Call(C_rcart_fit_new, model_name, s$text, if (is.null(s)) "" else s$source, params,
                           c(doses, table$cart), c(rep("doses", length(doses)), paste0(table$cart_what, ": doses")),
                           c(toci, table$toci), c(rep("toci", length(toci)), paste0(table$toci_what, ": toci")),
                           toci_rule_text(toci_rule), format, d$text, d$source,
                           as.character(f$names), as.numeric(f$initial), as.numeric(f$lower), as.numeric(f$upper),
                           e$kind, isTRUE(e$log), as.numeric(e$sigma_add), as.numeric(e$sigma_prop),
                           isTRUE(e$estimate), as.character(p$names), as.numeric(p$typical), as.numeric(p$cv),
                           p$scenario, isTRUE(finite_differences)))
  list(ptr = ptr, info = cart_result(.Call(C_rcart_fit_info, ptr)))
}

fit_result <- function(problem, set, curve_times, profile, profile_points) {
  r <- cart_result(.Call(C_rcart_fit_result, problem$ptr, as.integer(set), curve_times,
                         as.character(profile), as.integer(profile_points)))
  id <- problem$info$ids[[set]]
  if (r$status != 0L) return(list(id = id, status = r$status, message = r$message))
  est <- as_frame(r$estimates)
  est$rse_pct <- 100 * est$se / abs(est$estimate)
  est <- est[c("name", "estimate", "se", "rse_pct", "ci_lower", "ci_upper", "theta", "se_theta", "identifiable")]
  rownames(est) <- est$name
  corr <- r$correlation
  dimnames(corr) <- list(est$name, est$name)
  data <- as_frame(r$data)
  structure(class = "cart_fit", c(
    list(id = if (nzchar(id)) id else "1", model = problem$info$model, status = 0L, estimates = est,
         fitted = stats::setNames(est$estimate, est$name), correlation = corr,
         report = r$report),
    r$summary,
    list(data = data, curve = as_frame(r$curve), profiles = as_frame(r$profiles))))
}

# The curve's times: the ones given, or (numeric()) 0 to the last observation in 200 steps, as
# `cart fit --curve-output` and Python's fit().
curve_grid <- function(curve_times) if (is.null(curve_times)) numeric() else solve_times(curve_times)

cart_fit <- function(model = "cart", data, fit, error_model = "additive", params = NULL,
                     doses = character(), toci = character(), toci_rule = NULL, events = NULL,
                     scenario = NULL, priors = NULL, profile = character(), profile_points = 11L,
                     curve_times = NULL, finite_differences = FALSE) {
  problem <- fit_problem(data, model, scenario, fit, error_model, params, doses, toci, toci_rule,
                         events, priors, finite_differences, "long")
  profile_points <- whole_number(profile_points, "profile_points", 2, 1000)
  status <- cart_result(.Call(C_rcart_fit_run, problem$ptr, 1L))
  if (status[[1L]] != 0L) {
    r <- cart_result(.Call(C_rcart_fit_result, problem$ptr, 1L, 0, character(), 2L))
    stop(cart_condition(sprintf("the fit failed: %s", r$message), r$status, "CART_ESOLVER"))
  }
  fit_result(problem, 1L, curve_grid(curve_times), profile, profile_points)
}

cart_fit_all <- function(model = "cart", data, fit, error_model = "additive", format = c("nonmem", "petab"),
                         threads = 0L, params = NULL, doses = character(), toci = character(),
                         toci_rule = NULL, events = NULL, scenario = NULL, priors = NULL,
                         curve_times = NULL, finite_differences = FALSE) {
  format <- match.arg(format)
  threads <- as.integer(whole_number(threads, "threads", 0, 1024))
  problem <- fit_problem(data, model, scenario, fit, error_model, params, doses, toci, toci_rule,
                         events, priors, finite_differences, format)
  status <- cart_result(.Call(C_rcart_fit_run, problem$ptr, threads))
  times <- curve_grid(curve_times)
  fits <- lapply(seq_along(status), function(s) fit_result(problem, s, times, character(), 2L))
  ids <- problem$info$ids
  names(fits) <- ids
  rows <- lapply(fits, function(f) {
    if (!inherits(f, "cart_fit")) {
      return(data.frame(id = f$id, name = NA_character_, estimate = NA_real_, se = NA_real_,
                        rse_pct = NA_real_, ci_lower = NA_real_, ci_upper = NA_real_,
                        identifiable = NA, objective = NA_real_, status = f$status,
                        message = f$message, stringsAsFactors = FALSE))
    }
    e <- f$estimates
    data.frame(id = f$id, e[c("name", "estimate", "se", "rse_pct", "ci_lower", "ci_upper", "identifiable")],
               objective = f$objective, status = 0L, message = "", stringsAsFactors = FALSE)
  })
  results <- do.call(rbind, rows)
  rownames(results) <- NULL
  structure(class = "cart_fit_all", list(results = results, fits = fits))
}

cart_fit_objective <- function(model = "cart", data, fit, error_model = "additive", params = NULL,
                               doses = character(), toci = character(), toci_rule = NULL,
                               events = NULL, scenario = NULL, priors = NULL,
                               finite_differences = FALSE) {
  problem <- fit_problem(data, model, scenario, fit, error_model, params, doses, toci, toci_rule,
                         events, priors, finite_differences, "long")
  ptr <- problem$ptr
  theta_names <- problem$info$names
  call <- function(theta, gradient = FALSE, predict = FALSE) {
    if (!is.numeric(theta) || length(theta) != length(theta_names)) {
      cart_stop(sprintf("theta must be %d numbers (%s)", length(theta_names), paste(theta_names, collapse = ", ")))
    }
    cart_result(.Call(C_rcart_fit_objective, ptr, 1L, as.numeric(theta), gradient, predict))
  }
  structure(class = "cart_fit_objective", list(
    par = stats::setNames(problem$info$theta0, theta_names),
    names = theta_names,
    # Inf where libcart refuses theta (a value out of bounds, a failed solve), with the message as
    # an attribute: optim's line searches then step back, as they do for any infinite value
    fn = function(theta) {
      r <- tryCatch(call(theta), cart_error = function(e) e)
      if (inherits(r, "cart_error")) return(structure(Inf, message = conditionMessage(r)))
      r$value
    },
    gr = function(theta) stats::setNames(call(theta, gradient = TRUE)$gradient, theta_names),
    values = function(theta) stats::setNames(call(theta)$values, theta_names),
    predict = function(theta) {
      r <- call(theta, predict = TRUE)
      colnames(r$gradient) <- theta_names
      list(prediction = r$value, sensitivities = r$gradient)
    },
    problem = problem))
}

print.cart_fit <- function(x, ...) {
  cat(sprintf("libcart fit of model %s (id %s): %g observations, %g below the LLOQ; -2 log-likelihood %.10g\n",
              x$model, x$id, x$n_observations, x$n_blq, x$objective))
  cat(sprintf("  %s, gradient by %s\n", x$optimiser, x$gradient_method))
  print(x$estimates[c("estimate", "se", "rse_pct", "ci_lower", "ci_upper", "identifiable")])
  if (nzchar(x$report)) cat("not identifiable:\n", x$report, sep = "")
  invisible(x)
}

print.cart_fit_all <- function(x, ...) {
  cat(sprintf("libcart fits of %d patients\n", length(x$fits)))
  print(x$results)
  invisible(x)
}

print.cart_fit_objective <- function(x, ...) {
  cat(sprintf("libcart fit objective (-2 log-likelihood) of theta = (%s); start $par, function $fn, gradient $gr\n",
              paste(x$names, collapse = ", ")))
  invisible(x)
}
