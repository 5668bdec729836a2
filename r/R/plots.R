# ggplot2 figures (ggplot2 is suggested, not required: the functions say so when it is missing).

utils::globalVariables(c("time", "value", "name", "p5", "p25", "p50", "p75", "p95", "period",
                         "response", "crs_grade", "n", "label", "crs"))

need_ggplot2 <- function() {
  if (!requireNamespace("ggplot2", quietly = TRUE)) {
    cart_stop("this figure needs the package ggplot2 (Debian: apt-get install r-cran-ggplot2)")
  }
}

plot_course <- function(solution, columns = NULL, log = TRUE) {
  need_ggplot2()
  if (!inherits(solution, "cart_solution")) cart_stop("solution must be a result of cart_solve()")
  units <- attr(solution, "units")
  if (is.null(columns)) {
    columns <- intersect(c("Cblood", "tumour", "B", "IL6s", "CRS", "D1"), names(solution))
    if (!length(columns)) columns <- setdiff(names(solution), "time")
  }
  unknown <- setdiff(columns, names(solution))
  if (length(unknown)) cart_stop(sprintf("plot_course: no column '%s' in the solution", unknown[1L]))
  long <- do.call(rbind, lapply(columns, function(c) {
    data.frame(time = as.vector(solution$time), value = as.vector(solution[[c]]),
               name = sprintf("%s (%s)", c, units[[c]]), stringsAsFactors = FALSE)
  }))
  long$name <- factor(long$name, levels = unique(long$name))
  if (log) long$value[long$value <= 0] <- NA
  p <- ggplot2::ggplot(long, ggplot2::aes(time, value)) +
    ggplot2::geom_line(colour = "steelblue4", na.rm = TRUE) +
    ggplot2::facet_wrap(~name, scales = "free_y") +
    ggplot2::labs(x = "day", y = NULL, title = sprintf("One patient, model %s", attr(solution, "model")))
  if (log) p <- p + ggplot2::scale_y_log10()
  p
}

# The percentiles of every trajectory over the patients solved, per time: a data frame of
# name, time, p5, p25, p50, p75, p95.
trial_bands <- function(trial, names) {
  ok <- which(trial$status == 0L)
  do.call(rbind, lapply(names, function(n) {
    values <- trial$trajectories[[n]][ok, , drop = FALSE]
    q <- apply(values, 2L, stats::quantile, probs = c(0.05, 0.25, 0.5, 0.75, 0.95), na.rm = TRUE,
               names = FALSE)
    data.frame(name = sprintf("%s (%s)", n, trial$trajectory_units[[n]]), time = as.numeric(trial$time),
               p5 = q[1L, ], p25 = q[2L, ], p50 = q[3L, ], p75 = q[4L, ], p95 = q[5L, ],
               stringsAsFactors = FALSE)
  }))
}

plot_bands <- function(trial, names = NULL, log = TRUE, early = 28) {
  need_ggplot2()
  if (!inherits(trial, "cart_trial_result")) cart_stop("trial must be a result of cart_trial() or cart_read_trial()")
  if (length(trial$arms)) trial <- trial$arms[[1L]]
  if (is.null(names)) names <- intersect(c("Cblood", "tumour", "B", "IL6s"), names(trial$trajectories))
  unknown <- setdiff(names, names(trial$trajectories))
  if (length(unknown)) cart_stop(sprintf("plot_bands: the trial kept no trajectory '%s'", unknown[1L]))
  bands <- trial_bands(trial, names)
  bands$name <- factor(bands$name, levels = unique(bands$name))
  panels <- rbind(
    transform(bands[bands$time <= early, ], period = sprintf("days 0-%g", early)),
    transform(bands, period = sprintf("days 0-%g", max(bands$time))))
  panels$period <- factor(panels$period, levels = unique(panels$period))
  if (log) {
    for (col in c("p5", "p25", "p50", "p75", "p95")) panels[[col]][panels[[col]] <= 0] <- NA
  }
  p <- ggplot2::ggplot(panels, ggplot2::aes(time)) +
    ggplot2::geom_ribbon(ggplot2::aes(ymin = p5, ymax = p95), fill = "steelblue", alpha = 0.25, na.rm = TRUE) +
    ggplot2::geom_ribbon(ggplot2::aes(ymin = p25, ymax = p75), fill = "steelblue", alpha = 0.45, na.rm = TRUE) +
    ggplot2::geom_line(ggplot2::aes(y = p50), colour = "steelblue4", na.rm = TRUE) +
    ggplot2::facet_wrap(ggplot2::vars(name, period), ncol = 2L, scales = "free") +
    ggplot2::labs(x = "day", y = NULL,
                  title = sprintf("%d patients, model %s: median, 25-75 %% and 5-95 %%",
                                  sum(trial$status == 0L), trial$model %||% ""))
  if (log) p <- p + ggplot2::scale_y_log10()
  p
}

`%||%` <- function(a, b) if (is.null(a)) b else a

plot_endpoints <- function(trial, endpoints = c("cmax", "tmax", "auc28", "il6s_peak"), bins = 30) {
  need_ggplot2()
  if (!inherits(trial, "cart_trial_result")) cart_stop("trial must be a result of cart_trial() or cart_read_trial()")
  if (length(trial$arms)) trial <- trial$arms[[1L]]
  endpoints <- intersect(endpoints, names(trial$endpoints))
  long <- do.call(rbind, lapply(endpoints, function(e) {
    data.frame(name = sprintf("%s (%s)", e, trial$endpoint_units[[e]]),
               value = as.numeric(trial$endpoints[[e]][trial$status == 0L]), stringsAsFactors = FALSE)
  }))
  long <- long[is.finite(long$value), ]
  ggplot2::ggplot(long, ggplot2::aes(value)) +
    ggplot2::geom_histogram(bins = bins, fill = "steelblue", colour = "white") +
    ggplot2::facet_wrap(~name, scales = "free") +
    ggplot2::labs(x = NULL, y = "patients", title = "Endpoints of the patients solved")
}

cart_response_table <- function(trial) {
  if (!inherits(trial, "cart_trial_result")) cart_stop("trial must be a result of cart_trial() or cart_read_trial()")
  if (length(trial$arms)) trial <- trial$arms[[1L]]
  if (!all(c("response", "crs_grade") %in% names(trial$endpoints))) {
    cart_stop(sprintf("model %s has no response and crs_grade endpoints", trial$model))
  }
  ok <- trial$status == 0L
  response <- factor(trial$endpoints$response[ok], levels = c(0L, 1L, 2L), labels = c("NR", "PR", "CR"))
  grade <- factor(trial$endpoints$crs_grade[ok], levels = 0:4, labels = paste("CRS", 0:4))
  counts <- table(response = response, crs = grade)
  frame <- as.data.frame(counts, responseName = "n", stringsAsFactors = FALSE)
  frame$percent <- 100 * frame$n / max(1, sum(ok))
  frame
}

plot_response_table <- function(trial) {
  need_ggplot2()
  tab <- cart_response_table(trial)
  tab$response <- factor(tab$response, levels = c("CR", "PR", "NR"))
  tab$label <- sprintf("%d\n%.1f %%", tab$n, tab$percent)
  ggplot2::ggplot(tab, ggplot2::aes(crs, response)) +
    ggplot2::geom_tile(ggplot2::aes(fill = n), colour = "white") +
    ggplot2::geom_text(ggplot2::aes(label = label), size = 3.2) +
    ggplot2::scale_fill_gradient(low = "grey95", high = "steelblue") +
    ggplot2::labs(x = "CRS grade (model convention)", y = "response", fill = "patients",
                  title = "Response by CRS grade")
}

utils::globalVariables(c("observable", "lloq", "blq", "kind", "lower", "upper", "mu_star",
                         "mu_star_lower", "mu_star_upper", "sigma", "estimate", "index", "id"))

# The fit's data and curve, each with an id column (one fit, or every fit of cart_fit_all).
fit_frames <- function(fit) {
  fits <- if (inherits(fit, "cart_fit_all")) Filter(function(f) inherits(f, "cart_fit"), fit$fits) else list(fit)
  list(data = do.call(rbind, lapply(fits, function(f) cbind(id = f$id, f$data, stringsAsFactors = FALSE))),
       curve = do.call(rbind, lapply(fits, function(f) cbind(id = f$id, f$curve, stringsAsFactors = FALSE))),
       several = length(fits) > 1L, model = fits[[1L]]$model)
}

plot_fit <- function(fit, log = TRUE) {
  need_ggplot2()
  if (!inherits(fit, "cart_fit") && !inherits(fit, "cart_fit_all")) cart_stop("fit must be a result of cart_fit() or cart_fit_all()")
  f <- fit_frames(fit)
  data <- f$data
  # a value below the LLOQ is drawn at its LLOQ, as an open triangle
  data$value <- ifelse(data$blq, data$lloq, data$value)
  data$kind <- factor(ifelse(data$blq, "below LLOQ (at the LLOQ)", "observed"),
                      levels = c("observed", "below LLOQ (at the LLOQ)"))
  curve <- f$curve
  if (log) {
    curve$value[curve$value <= 0] <- NA
    data$value[data$value <= 0] <- NA
  }
  p <- ggplot2::ggplot(curve, ggplot2::aes(time, value)) +
    ggplot2::geom_line(colour = "steelblue4", na.rm = TRUE) +
    ggplot2::geom_point(data = data, ggplot2::aes(shape = kind), colour = "firebrick", na.rm = TRUE) +
    ggplot2::scale_shape_manual(values = c(observed = 16, "below LLOQ (at the LLOQ)" = 2), drop = FALSE) +
    ggplot2::labs(x = "day", y = NULL, shape = NULL,
                  title = sprintf("Fit of model %s: the fitted curve and the data", f$model))
  p <- p + if (f$several) ggplot2::facet_wrap(ggplot2::vars(id, observable), scales = "free_y")
           else ggplot2::facet_wrap(~observable, scales = "free_y")
  if (log) p <- p + ggplot2::scale_y_log10()
  p
}

need_sensitivity <- function(x, method) {
  if (!inherits(x, "cart_sensitivity")) cart_stop("the argument must be a result of cart_sensitivity()")
  if (x$method != method) cart_stop(sprintf("this is a %s analysis; plot_%s needs cart_sensitivity(method = \"%s\")", x$method, method, method))
}

plot_sobol <- function(sensitivity) {
  need_ggplot2()
  need_sensitivity(sensitivity, "sobol")
  i <- sensitivity$indices
  long <- rbind(data.frame(name = i$name, index = "first order S1", estimate = i$first,
                           lower = i$first_lower, upper = i$first_upper, stringsAsFactors = FALSE),
                data.frame(name = i$name, index = "total ST", estimate = i$total,
                           lower = i$total_lower, upper = i$total_upper, stringsAsFactors = FALSE))
  long$name <- factor(long$name, levels = i$name[order(i$total, decreasing = TRUE)])
  dodge <- ggplot2::position_dodge(width = 0.8)
  ggplot2::ggplot(long, ggplot2::aes(name, estimate, fill = index)) +
    ggplot2::geom_col(position = dodge, width = 0.75, na.rm = TRUE) +
    ggplot2::geom_errorbar(ggplot2::aes(ymin = lower, ymax = upper), position = dodge, width = 0.25, na.rm = TRUE) +
    ggplot2::scale_fill_manual(values = c("first order S1" = "steelblue", "total ST" = "grey55")) +
    ggplot2::labs(x = NULL, y = "Sobol index", fill = NULL,
                  title = sprintf("Sobol indices of %s (N = %g; %g %% bootstrap intervals)",
                                  if (is.na(sensitivity$statistic)) "the function" else sensitivity$statistic,
                                  sensitivity$N, 100 * sensitivity$confidence))
}

plot_morris <- function(sensitivity) {
  need_ggplot2()
  need_sensitivity(sensitivity, "morris")
  i <- sensitivity$indices
  ggplot2::ggplot(i, ggplot2::aes(mu_star, sigma)) +
    ggplot2::geom_abline(slope = 1, intercept = 0, linetype = "dashed", colour = "grey60") +
    ggplot2::geom_errorbar(ggplot2::aes(xmin = mu_star_lower, xmax = mu_star_upper), width = 0,
                           orientation = "y", colour = "grey50", na.rm = TRUE) +
    ggplot2::geom_point(colour = "steelblue4", size = 2.5) +
    ggplot2::geom_text(ggplot2::aes(label = name), vjust = -0.9, size = 3.3) +
    ggplot2::labs(x = "mu* (mean absolute elementary effect)", y = "sigma (their standard deviation)",
                  title = sprintf("Morris screening of %s (r = %g)",
                                  if (is.na(sensitivity$statistic)) "the function" else sensitivity$statistic,
                                  sensitivity$N))
}
