# Global sensitivity analysis: libcart's cart_sensitivity.h (the code `cart sensitivity` and
# Python's sensitivity() run): Sobol first-order and total indices on Saltelli's design, or Morris
# elementary effects, of a virtual trial's summary statistic (one trial per design point, the
# point's values as the scenario's typical values, the same patients: common random numbers) or
# of an R function. Bootstrap intervals; the same indices for any number of threads.

# "NAME=RANGE" (cart_grammar.h) of one parameter: "LOWER:UPPER", "LOWER:UPPER:log", "scenario",
# c(lower, upper) or list(lower, upper, "log").
range_text <- function(name, spec) {
  if (is.character(spec) && length(spec) == 1L) return(sprintf("%s=%s", name, spec))
  if (is.list(spec) && length(spec) == 3L && identical(spec[[3L]], "log")) {
    spec <- unlist(spec[1:2])
    if (is.numeric(spec)) return(sprintf("%s=%.17g:%.17g:log", name, spec[1L], spec[2L]))
  }
  if (is.numeric(spec) && length(spec) == 2L) return(sprintf("%s=%.17g:%.17g", name, spec[1L], spec[2L]))
  cart_stop(sprintf("params %s: a range is \"LOWER:UPPER\", \"LOWER:UPPER:log\", \"scenario\", c(lower, upper) or list(lower, upper, \"log\")",
                    name))
}

cart_sensitivity <- function(scenario = NULL, params, statistic = NULL, fun = NULL,
                             method = c("sobol", "morris"), N = NULL, levels = 4L, seed = 1,
                             bootstrap = 1000L, confidence = 0.95, patients = NULL, threads = 0L,
                             output = NULL, force = FALSE, typical_patient = FALSE,
                             progress = interactive()) {
  method <- match.arg(method)
  if (is.null(statistic) == is.null(fun)) cart_stop("give either statistic (a trial's, e.g. \"cr\") or fun (an R function), not both or neither")
  if (!is.null(statistic)) check_string(statistic, "statistic")
  if (!is.null(fun) && !is.function(fun)) cart_stop("fun must be a function(x) of the parameters' values returning one number")
  if (!is.list(params) && !is.character(params) || !length(params) || is.null(names(params)) ||
      any(!nzchar(names(params)))) {
    cart_stop("params must name each parameter and its range (e.g. list(rho = c(0.5, 1.5), alpha = \"scenario\"))")
  }
  ranges <- vapply(names(params), function(n) range_text(n, params[[n]]), "", USE.NAMES = FALSE)
  N <- if (is.null(N)) (if (method == "sobol") 1024 else 20) else whole_number(N, "N", 1)
  levels <- whole_number(levels, "levels", 0)
  bootstrap <- whole_number(bootstrap, "bootstrap", 0)
  if (!is.numeric(confidence) || length(confidence) != 1L || is.na(confidence)) cart_stop("confidence must be one number in (0, 1)")
  threads <- as.integer(whole_number(threads, "threads", 0, 1024))
  patients <- if (is.null(patients)) NA_real_ else as.numeric(whole_number(patients, "patients", 1))
  if (isTRUE(typical_patient) && (is.null(statistic) || !is.na(patients))) {
    cart_stop("typical_patient is one patient of a trial: give a statistic and no patients")
  }
  if (!is.null(output)) {
    check_string(output, "output")
    output <- path.expand(output)
    if (!isTRUE(force) && file.exists(output)) cart_stop(sprintf("'%s' exists (use force = TRUE to replace it)", output))
  }
  s <- if (!is.null(statistic)) scenario_text(scenario) else NULL
  ptr <- cart_result(.Call(C_rcart_sensitivity_new, s$text, if (is.null(s)) "" else s$source, ranges,
                           patients, isTRUE(typical_patient), method, as.numeric(N), as.numeric(levels),
                           seed_text(seed), as.numeric(bootstrap), as.numeric(confidence)))
  design <- cart_result(.Call(C_rcart_sensitivity_design, ptr))
  names_p <- names(params)
  colnames(design$values) <- colnames(design$unit) <- names_p
  outputs <- NULL
  if (!is.null(fun)) {
    outputs <- vapply(seq_len(nrow(design$values)), function(r) {
      y <- fun(stats::setNames(design$values[r, ], names_p))
      if (!is.numeric(y) || length(y) != 1L) cart_stop(sprintf("fun returned %s at design row %d: expected one number", deparse1(y), r))
      as.numeric(y)
    }, 0)
  }
  bar <- progress_function(if (is.null(statistic)) FALSE else progress)
  on.exit(bar$close(), add = TRUE)
  run <- cart_result(.Call(C_rcart_sensitivity_run, ptr, statistic, outputs, threads, bar$call, environment()))
  if (isTRUE(run$interrupted)) {
    stop(cart_condition(sprintf("sensitivity analysis stopped: %s", run$message), CART_ESTOPPED, "CART_ESTOPPED"))
  }
  if (!is.null(output)) cart_result(.Call(C_rcart_sensitivity_write, ptr, output, isTRUE(force)))
  r <- cart_result(.Call(C_rcart_sensitivity_result, ptr))
  idx <- as_frame(r$indices)
  idx <- if (method == "sobol") {
    idx[c("name", "first", "first_lower", "first_upper", "total", "total_lower", "total_upper")]
  } else {
    idx[c("name", "mu", "mu_star", "mu_star_lower", "mu_star_upper", "sigma")]
  }
  rownames(idx) <- idx$name
  p <- length(names_p)
  rows <- nrow(design$values)
  block <- if (method == "sobol") {
    rep(c("A", "B", paste0("AB_", names_p)), each = N)
  } else {
    paste0("trajectory ", rep(seq_len(rows / (p + 1)), each = p + 1))
  }
  design_frame <- data.frame(row = seq_len(rows), block = block, design$values, output = r$outputs,
                             check.names = FALSE, stringsAsFactors = FALSE)
  structure(class = "cart_sensitivity", c(
    list(method = method, statistic = if (is.null(statistic)) NA_character_ else r$summary$statistic,
         indices = idx, design = design_frame, unit_design = design$unit, N = N, levels = levels,
         seed = seed_text(seed), bootstrap = bootstrap, confidence = confidence,
         n_patients = design$n_patients, output = output),
    r$summary[c("n_rows", "n_valid", "mean", "variance", "n_refused", "refusal", "wall_seconds")]))
}

print.cart_sensitivity <- function(x, ...) {
  cat(sprintf("libcart sensitivity of %s: %s, %s = %g, %g design points, %g of %g %s used; mean %.4g\n",
              if (is.na(x$statistic)) "a function" else x$statistic,
              if (x$method == "sobol") "Sobol indices" else "Morris elementary effects",
              if (x$method == "sobol") "N" else "r", x$N, x$n_rows, x$n_valid, x$N,
              if (x$method == "sobol") "base rows" else "trajectories", x$mean))
  if (x$n_refused > 0) cat(sprintf("  %g points refused by the model: %s\n", x$n_refused, x$refusal))
  print(x$indices[-1L], digits = 4)
  invisible(x)
}
