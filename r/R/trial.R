# Trials: libcart's run loop (cart_arms_run_file, the one `cart trial` and Python's trial() use)
# writes one HDF5 file; cart_read_trial() reads it back.

# A file's text as it is (the library reads it as `cart` does: every byte, the last newline too).
read_text <- function(path) {
  text <- readChar(path, file.size(path), useBytes = TRUE)
  Encoding(text) <- "UTF-8"
  text
}

# (text, source) of a scenario argument: NULL (the built-in default), a file's path, or the text.
scenario_text <- function(scenario) {
  if (is.null(scenario)) return(list(text = cart_default_scenario(), source = "<default scenario>"))
  check_string(scenario, "scenario")
  if (file.exists(scenario) && !dir.exists(scenario)) {
    return(list(text = read_text(scenario), source = scenario))
  }
  if (!grepl("\n", scenario, fixed = TRUE)) {
    cart_stop(sprintf("scenario file '%s' does not exist (scenario text must have a [trial] section and its model on separate lines)",
                      scenario))
  }
  list(text = scenario, source = "<text>")
}

# (text, source) of an argument that is a file's path or the text itself (one with a line
# break): `what` names it in the message and in the source ("<what>").
file_or_text <- function(value, what) {
  check_string(value, what)
  if (file.exists(value) && !dir.exists(value)) return(list(text = read_text(value), source = value))
  if (!grepl("\n", value, fixed = TRUE)) cart_stop(sprintf("%s file '%s' does not exist", what, value))
  list(text = value, source = sprintf("<%s>", what))
}

with_newline <- function(text) if (nzchar(text) && !endsWith(text, "\n")) paste0(text, "\n") else text

# [arm NAME] sections of a named list of arms, each a named vector or list of the arm's keys
# (cart-scenario(5) ARMS: label, dosing.cart, params.rho ...; a key may repeat).
arm_sections <- function(arms) {
  if (is.null(arms)) return("")
  if (!is.list(arms) || is.null(names(arms)) || any(!nzchar(names(arms)))) {
    cart_stop("arms must be a named list: one element per arm, each a named vector of the arm's keys (e.g. list(low = c(dosing.cart = \"0:5e7\"), high = c(dosing.cart = \"0:2e8\")))")
  }
  sections <- vapply(names(arms), function(name) {
    keys <- arms[[name]]
    if (length(keys) && (is.null(names(keys)) || any(!nzchar(names(keys))))) {
      cart_stop(sprintf("arms: every key of arm '%s' must be named", name))
    }
    keys <- unlist(keys)
    lines <- if (length(keys)) sprintf("%s = %s", names(keys), as.character(keys)) else character()
    paste0(c(sprintf("[arm %s]", name), lines), "\n", collapse = "")
  }, "")
  paste0("# R cart_trial(): arms\n", paste(sections, collapse = ""))
}

# The text of a patients table as libcart's grammar reads it (cart_parse_table: CSV, a header of
# names, numbers written with %.17g so that each is the double given), and its source for
# messages. A data frame, or the path of a CSV file read as it is.
patients_text <- function(patients) {
  if (is.character(patients) && length(patients) == 1L) {
    if (!file.exists(patients)) cart_stop(sprintf("patients file '%s' does not exist", patients))
    return(list(text = read_text(patients), source = patients))
  }
  if (!is.data.frame(patients)) cart_stop("patients must be a data frame or the path of a CSV file")
  columns <- lapply(names(patients), function(name) {
    value <- patients[[name]]
    if (tolower(name) == "id") return(as.character(value))
    if (!is.numeric(value)) cart_stop(sprintf("patients: column '%s' is not numeric", name))
    ifelse(is.na(value), "NA", sprintf("%.17g", value))
  })
  rows <- if (nrow(patients)) do.call(paste, c(columns, sep = ",")) else character()
  list(text = paste0(c(paste(names(patients), collapse = ","), rows), "\n", collapse = ""),
       source = "patients")
}

whole_number <- function(value, what, least, most = 2^53) {
  if (!is.numeric(value) || length(value) != 1L || is.na(value) || value != round(value) ||
      value < least || value > most) {
    cart_stop(sprintf("%s must be a whole number in %s..%s", what, format(least), format(most, scientific = FALSE)))
  }
  value
}

seed_text <- function(seed) {
  if (is.null(seed)) return("")
  if (is.character(seed) && length(seed) == 1L && grepl("^[0-9]{1,20}$", seed)) {
    if (nchar(seed) == 20L && seed > "18446744073709551615") cart_stop("seed must be below 2^64")
    return(seed)
  }
  sprintf("%.0f", whole_number(seed, "seed", 0))
}

progress_function <- function(progress) {
  if (is.function(progress) || is.null(progress)) return(list(call = progress, close = function() NULL))
  if (!isTRUE(progress) && !isFALSE(progress)) cart_stop("progress must be TRUE, FALSE or a function(done, total)")
  if (isFALSE(progress)) return(list(call = NULL, close = function() NULL))
  bar <- NULL
  list(call = function(done, total, ...) {
         if (is.null(bar)) bar <<- utils::txtProgressBar(min = 0, max = total, style = 3)
         utils::setTxtProgressBar(bar, done)
         FALSE
       },
       close = function() if (!is.null(bar)) close(bar))
}

cart_trial <- function(scenario = NULL, n = NULL, seed = NULL, threads = 0L,
                       output = "cart-trial.h5", patients = NULL, arms = NULL, events = NULL,
                       force = FALSE, block = 4096, progress = interactive()) {
  s <- scenario_text(scenario)
  text <- with_newline(s$text)
  source <- s$source
  text <- paste0(text, arm_sections(arms))
  if (!is.null(events)) {
    # after the arms, so that an arm with its own dosing.cart lines gets the table's doses too
    text <- scenario_with_events(text, source, events)
    source <- paste(source, "+ events")
  }
  table <- if (!is.null(patients)) patients_text(patients) else NULL
  n <- if (is.null(n)) NA_real_ else whole_number(n, "n", 1)
  seed <- seed_text(seed)
  threads <- as.integer(whole_number(threads, "threads", 0, 1024))
  block <- whole_number(block, "block", 1)
  check_string(output, "output")
  output <- path.expand(output)
  as_run <- paste0(text, "# R cart_trial():",
                   if (!is.na(n)) sprintf(" n_patients = %.0f", n), if (nzchar(seed)) sprintf(" seed = %s", seed),
                   if (!is.null(table)) sprintf(" patients table '%s'", table$source), "\n")
  bar <- progress_function(progress)
  on.exit(bar$close(), add = TRUE)
  result <- cart_result(.Call(C_rcart_trial, text, source, n, seed, threads,
                              output, isTRUE(force), block, bar$call, environment(),
                              if (!is.null(table)) table$text, if (!is.null(table)) table$source else "",
                              as_run))
  if (isTRUE(result$interrupted)) {
    stop(cart_condition(sprintf("trial stopped after a block, '%s' left incomplete: %s", output,
                                result$message), CART_ESTOPPED, "CART_ESTOPPED"))
  }
  cart_read_trial(output)
}
