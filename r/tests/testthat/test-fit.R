# cart_fit: the recovery of Stein's typical values that tests/check_fit.c checks, the same table
# as `cart fit` to its printed digits, optim on the exposed objective reaching cart_fit's optimum,
# cart_fit_all over a NONMEM table, and bad input as a cart_error naming the problem.

stein_typical <- c(c0 = 6.15, rho = 0.889, tmax = 9.3, alpha = 0.16, beta = 0.0032, fb = 0.0079)
grid <- c(0.5, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 17, 21, 28, 35, 42, 56, 70, 90, 120,
          150, 180, 240, 300, 365)

# C at the grid from Stein's typical values (rtol 1e-10, as check_fit.c's stein_data).
stein_data <- function(noise = 0, seed = 1) {
  value <- as.vector(cart_solve("stein", times = grid, rtol = 1e-10)$C)
  if (noise > 0) {
    set.seed(seed)
    value <- value * exp(stats::rnorm(length(grid), 0, noise))
  }
  data.frame(time = grid, observable = "C", value = value, stringsAsFactors = FALSE)
}

# check_fit.c's starting point: 25 % below or 30 % above, tmax 8.8.
start <- stein_typical * c(0.75, 1.3, 0.75, 1.3, 0.75, 1.3)
start[["tmax"]] <- 8.8

test_that("cart_fit recovers Stein's typical values (tests/check_fit.c)", {
  f <- cart_fit("stein", stein_data(), fit = as.list(start),
                error_model = list(kind = "additive", log = TRUE, sigma_add = 0.1, estimate = FALSE))
  expect_s3_class(f, "cart_fit")
  expect_identical(rownames(f$estimates), names(stein_typical))
  expect_lt(max(abs(f$fitted / stein_typical - 1)), 1e-3)
  expect_identical(f$gradient_method, "sensitivities")
  expect_true(f$identifiable)
  expect_identical(dim(f$correlation), c(6L, 6L))
  expect_equal(unname(diag(f$correlation)), rep(1, 6))
  expect_identical(names(f$curve), c("time", "observable", "value"))
  expect_identical(nrow(f$curve), 201L)
  expect_identical(range(f$curve$time), c(0, 365))
  expect_true(all(f$estimates$ci_lower < f$fitted & f$fitted < f$estimates$ci_upper))
})

# `cart fit`'s printed table and ours, printed the same way, as lists of tab-separated fields.
cli_fit_lines <- function(args) strsplit(system2(cart_bin(), c("fit", args), stdout = TRUE), "\t")

ours_fit_lines <- function(f) {
  e <- f$estimates
  strsplit(c(
    sprintf("# fit %s: %g observations, %g below the LLOQ; -2 log-likelihood %.10g; %s, gradient by %s",
            f$id, f$n_observations, f$n_blq, f$objective, f$optimiser, f$gradient_method),
    "id\tname\testimate\tse\trse_pct\tci_lower\tci_upper\tidentifiable",
    sprintf("%s\t%s\t%.6g\t%.4g\t%.3g\t%.6g\t%.6g\t%s", f$id, e$name, e$estimate, e$se, e$rse_pct,
            e$ci_lower, e$ci_upper, ifelse(e$identifiable, "yes", "no")),
    "# correlation", paste(c("name", e$name), collapse = "\t"),
    vapply(seq_len(nrow(e)), function(k) paste(c(e$name[k], sprintf("%.4f", f$correlation[k, ])), collapse = "\t"), "")),
    "\t")
}

# The unit of a printed number's last digit ("0.103616": 1e-6, "4.165": 1e-3, "1.2e-05": 1e-6).
last_digit <- function(text) {
  mantissa <- sub("[eE].*", "", text)
  exponent <- ifelse(grepl("[eE]", text), suppressWarnings(as.numeric(sub(".*[eE]", "", text))), 0)
  decimals <- ifelse(grepl(".", mantissa, fixed = TRUE), nchar(sub(".*\\.", "", mantissa)), 0)
  10^(exponent - decimals)
}

# Every field of `cart fit`'s output is ours: text fields equal, numbers equal to within one unit
# of their last printed digit. Not always to the digit: R's process has loaded its BLAS
# (libblas.so.3), whose cblas_* functions take the place of GSL's own CBLAS in the
# Levenberg-Marquardt steps, so the optimiser stops a few 1e-8 (relative) away from where
# `cart fit` stops; with LD_PRELOAD=libgslcblas.so.0 the two are the same to the last bit.
expect_same_printed <- function(ours, cli) {
  expect_identical(length(ours), length(cli))
  for (k in seq_along(cli)) {
    a <- ours[[k]]
    b <- cli[[k]]
    expect_identical(length(a), length(b), info = paste(b, collapse = " "))
    number <- suppressWarnings(!is.na(as.numeric(b)))
    expect_identical(a[!number], b[!number], info = paste(b, collapse = " "))
    if (any(number)) {
      expect_true(all(abs(as.numeric(a[number]) - as.numeric(b[number])) <= 1.0001 * last_digit(b[number])),
                  info = sprintf("ours %s, cart fit %s", paste(a, collapse = " "), paste(b, collapse = " ")))
    }
  }
}

test_that("cart_fit equals cart fit to the printed digits", {
  bin <- cart_bin()
  data <- stein_data(noise = 0.2)
  data$value[data$time > 200] <- 5 # below an LLOQ of 5: M3
  data$blq <- as.integer(data$time > 200)
  data$lloq <- 5
  path <- tempfile(fileext = ".csv")
  writeLines(c("time,observable,value,blq,lloq",
               sprintf("%.17g,C,%.17g,%d,5", data$time, data$value, data$blq)), path)
  f <- cart_fit("stein", data, fit = list(rho = 0.8, alpha = 0.17, c0 = 6),
                error_model = list(kind = "additive", log = TRUE))
  expect_identical(f$n_blq, 3)
  cli <- cli_fit_lines(c(path, "--model", "stein", "--fit", "rho=0.8", "--fit", "alpha=0.17",
                         "--fit", "c0=6", "--log"))
  expect_same_printed(ours_fit_lines(f), cli)
  # the file itself gives the same fit
  expect_identical(cart_fit("stein", path, fit = list(rho = 0.8, alpha = 0.17, c0 = 6),
                            error_model = list(log = TRUE))$estimates, f$estimates)
})

test_that("optim (BFGS) on cart_fit_objective reaches cart_fit's optimum", {
  data <- stein_data(noise = 0.2)
  spec <- list(rho = 0.8, alpha = 0.17, c0 = 6)
  f <- cart_fit("stein", data, fit = spec, error_model = list(log = TRUE))
  o <- cart_fit_objective("stein", data, fit = spec, error_model = list(log = TRUE))
  expect_identical(o$names, c("rho", "alpha", "c0", "sigma_add"))
  # the gradient is the objective's (central differences)
  g <- o$gr(o$par)
  h <- 1e-5
  fd <- vapply(seq_along(o$par), function(k) {
    e <- replace(numeric(length(o$par)), k, h)
    (o$fn(o$par + e) - o$fn(o$par - e)) / (2 * h)
  }, 0)
  expect_lt(max(abs(fd - g) / (1 + abs(fd))), 1e-4)
  r <- stats::optim(o$par, o$fn, o$gr, method = "BFGS", control = list(reltol = 1e-12, maxit = 1000))
  expect_identical(r$convergence, 0L)
  expect_lt(abs(r$value - f$objective), 1e-6)
  expect_lt(max(abs(o$values(r$par) / f$fitted - 1)), 1e-5)
  # a theta the model refuses is an infinite objective (optim steps back)
  expect_identical(as.vector(o$fn(c(o$par[1:2], c0 = -1e6, o$par[4]))), Inf)
})

test_that("cart_fit_all fits every ID of a NONMEM table, the same for 1 and 2 threads", {
  a <- stein_data(noise = 0.2, seed = 1)
  b <- stein_data(noise = 0.2, seed = 2)
  nm <- rbind(data.frame(ID = "p1", TIME = a$time, DV = a$value, OBS = "C"),
              data.frame(ID = "p2", TIME = b$time, DV = b$value, OBS = "C"))
  spec <- list(rho = 0.8, alpha = 0.17, c0 = 6)
  all1 <- cart_fit_all("stein", nm, fit = spec, error_model = list(log = TRUE), threads = 1)
  all2 <- cart_fit_all("stein", nm, fit = spec, error_model = list(log = TRUE), threads = 2)
  expect_s3_class(all1, "cart_fit_all")
  expect_identical(all1$results, all2$results)
  expect_identical(unique(all1$results$id), c("p1", "p2"))
  expect_identical(nrow(all1$results), 8L)
  one <- cart_fit("stein", a, fit = spec, error_model = list(log = TRUE))
  expect_identical(all1$fits$p1$estimates, one$estimates)
})

test_that("bad fit input raises a cart_error naming the problem", {
  catch <- function(expr) tryCatch(expr, cart_error = function(e) e)
  d <- stein_data()
  e <- catch(cart_fit("stein", d, fit = "rhoo"))
  expect_s3_class(e, "cart_error")
  expect_identical(e$name, "CART_EUNKNOWN_PARAM")
  expect_match(conditionMessage(e), "rhoo")
  bad <- d
  bad$observable[3] <- "Cx"
  e <- catch(cart_fit("stein", bad, fit = "rho"))
  expect_identical(e$name, "CART_EPARSE")
  expect_match(conditionMessage(e), ":4: unknown observable 'Cx' \\(model stein has: CE, CM, C\\)")
  bad <- d[c(2, 1, 3:nrow(d)), ]
  expect_match(conditionMessage(catch(cart_fit("stein", bad, fit = "rho"))), "times are not sorted")
  expect_match(conditionMessage(catch(cart_fit("stein", d[c("time", "value")], fit = "rho"))),
               "no column observable")
  expect_match(conditionMessage(catch(cart_fit("stein", d, fit = "rho", error_model = "multiplicative"))),
               "error_model 'multiplicative'")
  expect_match(conditionMessage(catch(cart_fit("stein", d, fit = list(rho = c(5, 0.1, 2))))), "rho")
  expect_match(conditionMessage(catch(cart_fit("stein", d, fit = "rho", priors = "scenario"))),
               "needs a scenario")
})

test_that("profile likelihoods reach their minimum at the estimate", {
  data <- stein_data(noise = 0.2)
  f <- cart_fit("stein", data, fit = list(rho = 0.8, alpha = 0.17), error_model = list(log = TRUE),
                profile = "rho", profile_points = 7)
  p <- f$profiles
  expect_identical(names(p), c("name", "value", "objective"))
  expect_identical(p$name, rep("rho", 7))
  expect_equal(p$value[4], f$fitted[["rho"]], tolerance = 1e-6)
  expect_equal(min(p$objective), f$objective, tolerance = 1e-6)
  expect_true(all(p$objective >= f$objective - 1e-6))
  e <- tryCatch(cart_fit("stein", data, fit = "rho", profile = "alpha"), cart_error = function(e) e)
  expect_match(conditionMessage(e), "profile alpha: not a fitted parameter")
})

test_that("fit figures are ggplot objects", {
  skip_if_not_installed("ggplot2")
  data <- stein_data(noise = 0.2)
  data$blq <- as.integer(data$value < 100)
  data$lloq <- 100
  data$value[data$blq == 1] <- 100
  f <- cart_fit("stein", data, fit = c("rho", "alpha"), error_model = list(log = TRUE))
  expect_s3_class(plot_fit(f), "ggplot")
  nm <- data.frame(ID = rep(c("a", "b"), each = nrow(data)), TIME = data$time, DV = data$value,
                   OBS = "C", BLQ = data$blq, LLOQ = 100)
  expect_s3_class(plot_fit(cart_fit_all("stein", nm, fit = c("rho", "alpha"), error_model = list(log = TRUE))),
                  "ggplot")
  s <- cart_sensitivity(params = list(a = c(0, 1), b = c(0, 1)), fun = function(x) sum(x), N = 16)
  expect_s3_class(plot_sobol(s), "ggplot")
  expect_error(plot_morris(s), class = "cart_error")
  m <- cart_sensitivity(params = list(a = c(0, 1), b = c(0, 1)), fun = function(x) sum(x),
                        method = "morris", N = 8)
  expect_s3_class(plot_morris(m), "ggplot")
  pdf(NULL)
  on.exit(grDevices::dev.off())
  expect_silent(print(plot_fit(f)))
  expect_silent(print(plot_morris(m)))
})

test_that("cart_fit_all on a NONMEM CSV equals cart fit --nonmem to the printed digits", {
  bin <- cart_bin()
  a <- stein_data(noise = 0.2, seed = 3)
  b <- stein_data(noise = 0.2, seed = 4)
  path <- tempfile(fileext = ".csv")
  writeLines(c("ID,TIME,DV,OBS", sprintf("p1,%.17g,%.17g,C", a$time, a$value),
               sprintf("p2,%.17g,%.17g,C", b$time, b$value)), path)
  all <- cart_fit_all("stein", path, fit = list(rho = 0.8, alpha = 0.17), error_model = list(log = TRUE))
  ours <- unlist(lapply(seq_along(all$fits), function(k) {
    lines <- ours_fit_lines(all$fits[[k]])[1:5] # the fit line, the header, three estimates
    if (k > 1) lines[-2L] else lines
  }), recursive = FALSE)
  cli <- cli_fit_lines(c(path, "--nonmem", "--model", "stein", "--fit", "rho=0.8", "--fit", "alpha=0.17", "--log"))
  expect_same_printed(ours, cli)
})

test_that("cart_fit_all reads a PEtab measurement table as it reads the NONMEM one", {
  a <- stein_data(noise = 0.2, seed = 3)
  b <- stein_data(noise = 0.2, seed = 4)
  nm <- rbind(data.frame(ID = "c1", TIME = a$time, DV = a$value, OBS = "C"),
              data.frame(ID = "c2", TIME = b$time, DV = b$value, OBS = "C"))
  petab <- data.frame(observableId = nm$OBS, simulationConditionId = nm$ID, time = nm$TIME,
                      measurement = nm$DV)
  spec <- list(rho = 0.8, alpha = 0.17)
  x <- cart_fit_all("stein", nm, fit = spec, error_model = list(log = TRUE))
  y <- cart_fit_all("stein", petab, fit = spec, error_model = list(log = TRUE), format = "petab")
  expect_identical(y$results, x$results)
})

test_that("a NONMEM table's dose records are each patient's doses, as cart fit takes them", {
  times <- c(1, 2, 4, 7, 10, 14, 21, 28)
  sol <- cart_solve(params = c(rho = 0.8), doses = "0:1e8", times = times)
  obs <- data.frame(time = rep(times, each = 2), observable = rep(c("Cblood", "IL6"), length(times)),
                    value = as.vector(rbind(sol$Cblood * exp(0.1 * sin(3 * times)), sol$IL6 * exp(0.1 * cos(3 * times)))))
  nm <- rbind(data.frame(ID = "a", TIME = 0, DV = NA, OBS = NA, CMT = "cart", AMT = 1e8, EVID = 1, MDV = 1),
              data.frame(ID = "a", TIME = obs$time, DV = obs$value, OBS = obs$observable, CMT = NA,
                         AMT = NA, EVID = 0, MDV = 0))
  spec <- list(rho = 0.6, delta_E = 0.3)
  table <- cart_fit_all("cart", nm, fit = spec, error_model = list(log = TRUE))
  alone <- cart_fit("cart", obs, fit = spec, error_model = list(log = TRUE), doses = "0:1e8")
  expect_identical(table$fits$a$estimates, alone$estimates)
  e <- tryCatch(cart_fit_all("cart", nm, fit = spec, doses = "0:1e8"), cart_error = function(e) e)
  expect_s3_class(e, "cart_error")
  expect_match(conditionMessage(e), "carries each patient's doses \\(dose records\\); doses is not taken")
})
