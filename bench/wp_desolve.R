# wp_desolve.R: the work-precision diagram's deSolve program (bench/work_precision.sh).
#
# MODEL.md's `cart` with deSolve::lsoda and the compiled model of the deSolve baseline
# (../shared/anchors/baselines/desolve_cart.c, built by the caller with R CMD SHLIB into SO), one
# patient after another: the baseline's work (days 0..365, output every day) with the tolerances
# as arguments. atol per state is MODEL.md's (1 cell, 1e-3 pg/mL, 1e-6 mg) times ATOL_SCALE.
#
#   Rscript wp_desolve.R SO PARAMS.csv N RTOL ATOL_SCALE [DUMP.csv]
#
# Prints one line in the baselines' format (elapsed seconds around the solve loop only; checksum =
# sum over patients of E(365) + (Tp + Tn)(28); steps and right-hand-side evaluations per patient);
# DUMP.csv gets per patient E and Tp + Tn on days 14, 28, 90 and 365.
suppressPackageStartupMessages(library(deSolve))
args <- commandArgs(trailingOnly = TRUE)
if (length(args) < 5) {
  stop("usage: Rscript wp_desolve.R SO PARAMS.csv N RTOL ATOL_SCALE [DUMP.csv]")
}
so <- args[1]
n <- as.integer(args[3])
rtol <- as.numeric(args[4])
atol_scale <- as.numeric(args[5])
dyn.load(so)
dll <- sub("\\.so$", "", basename(so))
pats <- read.csv(args[2], comment.char = "#")
pats <- pats[seq_len(min(n, nrow(pats))), ]
n <- nrow(pats)
# MODEL.md 2.2 defaults, in the order desolve_cart.c reads them
p <- c(dose = 1.4e8, f_mem = 0.2, rho = 0.6, KS = 1e9, rho_ld = 0.6, ld_tau = 7, omega = 0.2,
       delta_E = 0.25, k_mem = 0.02, k_exh = 0.05, delta_M = 0.005, delta_X = 0.1, gamma = 1.0,
       Kkill = 1e10, T0 = 1e11, f_neg0 = 1e-7, r_tum = 0.03, r_neg = 0.025, K_tum = 1e12,
       mu_loss = 1e-8, B0 = 1e10, delta_B = 0.03, b_ld = 0.1, il6_0 = 3, k_il6 = 5, k_rec = 15,
       p_kill = 50, p_act = 100, p_amp = 8000, IL6_50 = 300, h = 2, CL = 0.3, V1 = 3.5, V2 = 2.9,
       Q = 0.2, Vmax = 7.5, Km = 2.7, KD_toci = 0.4)
atol <- atol_scale * c(rep(1, 6), 1e-3, 1e-6, 1e-6)
days <- 0:365
report_rows <- c(14, 28, 90, 365) + 1 # output row of each report day (row 1 is day 0)
report <- matrix(NA_real_, n, 8)
failures <- 0
steps <- 0
fevals <- 0
start <- proc.time()[["elapsed"]]
for (i in seq_len(n)) {
  q <- p
  q[c("rho", "gamma", "delta_E", "T0")] <- unlist(pats[i, c("rho", "gamma", "delta_E", "T0")])
  y0 <- c((1 - q[["f_mem"]]) * q[["dose"]], q[["f_mem"]] * q[["dose"]], 0,
          (1 - q[["f_neg0"]]) * q[["T0"]], q[["f_neg0"]] * q[["T0"]], q[["b_ld"]] * q[["B0"]],
          q[["il6_0"]], 0, 0)
  out <- lsoda(y0, days, func = "derivs", parms = q, dllname = dll, initfunc = "initmod",
               rtol = rtol, atol = atol, maxsteps = 1e6)
  istate <- attr(out, "istate")
  steps <- steps + istate[2]
  fevals <- fevals + istate[3]
  if (istate[1] < 0 || nrow(out) < 366) {
    failures <- failures + 1
  } else {
    report[i, ] <- c(out[report_rows, 2], out[report_rows, 5] + out[report_rows, 6])
  }
}
wall <- proc.time()[["elapsed"]] - start
checksum <- sum(report[, 4] + report[, 6], na.rm = TRUE)
cat(sprintf(paste0("tool=desolve-lsoda N=%d threads=1 rtol=%g wall_s=%.4f patients_per_s=%.1f ",
                   "checksum=%.10e failures=%d steps/patient=%.0f rhs/patient=%.0f\n"),
            n, rtol, wall, n / wall, checksum, failures, steps / n, fevals / n))
if (length(args) > 5) {
  f <- file(args[6], "w")
  writeLines(sprintf("# wp_desolve: deSolve %s lsoda, compiled model; rtol %g, atol %g x MODEL.md's",
                     packageVersion("deSolve"), rtol, atol_scale), f)
  writeLines("patient,E14,E28,E90,E365,T14,T28,T90,T365", f)
  for (i in seq_len(n)) {
    writeLines(paste(c(i - 1, sprintf("%.17g", report[i, ])), collapse = ","), f)
  }
  close(f)
}
quit(status = if (failures > 0) 1 else 0)
