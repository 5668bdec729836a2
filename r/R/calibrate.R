# Calibration: libcart's cart_calibration_new, the fit `cart calibrate` and Python's calibrate()
# run (simulated method of moments with common random numbers; cart(1), cart-targets(5)).

cart_calibrate <- function(scenario = NULL, targets, threads = 0L, progress = interactive(),
                           n = NULL, seed = NULL, max_evaluations = NULL) {
  s <- scenario_text(scenario)
  t <- file_or_text(targets, "targets")
  n <- if (is.null(n)) NA_real_ else whole_number(n, "n", 1)
  max_evaluations <- if (is.null(max_evaluations)) NA_real_ else whole_number(max_evaluations, "max_evaluations", 1)
  threads <- as.integer(whole_number(threads, "threads", 0, 1024))
  bar <- progress_function(progress)
  on.exit(bar$close(), add = TRUE)
  out <- cart_result(.Call(C_rcart_calibrate, s$text, s$source, t$text, t$source, n,
                           seed_text(seed), max_evaluations, threads, bar$call, environment()))
  if (isTRUE(out$interrupted)) {
    stop(cart_condition(sprintf("calibration stopped: %s", out$message), CART_ESTOPPED, "CART_ESTOPPED"))
  }
  r <- out$result
  params <- as_frame(r$params)
  params$name <- ifelse(params$is_cv, paste0("cv.", params$name), params$name)
  rownames(params) <- params$name
  targets_frame <- as_frame(r$targets)
  rownames(targets_frame) <- targets_frame$name
  summary <- r$summary
  structure(class = "cart_calibration", c(
    list(targets = targets_frame, params = params,
         fitted = stats::setNames(params$value, params$name), scenario = r$scenario),
    lapply(summary[c("objective", "evaluations", "wall_seconds", "n_patients", "variance_factor",
                     "condition")], identity),
    list(converged = summary$converged == 1, complete = summary$complete == 1, seed = summary$seed)))
}

print.cart_calibration <- function(x, ...) {
  cat(sprintf("libcart calibration: objective %.6g after %g evaluations (%s%s), N = %g, seed %s\n",
              x$objective, x$evaluations, if (x$converged) "converged" else "not converged",
              if (x$complete) "" else ", stopped", x$n_patients, x$seed))
  print(x$params[, c("value", "se", "identified", "lower", "upper")])
  print(x$targets[, c("observed", "lower", "upper", "simulated", "in_range")])
  invisible(x)
}
