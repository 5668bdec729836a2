# Models: libcart's read-only tables (names, units, defaults, bounds, meanings), read through the C
# API at every call, never copied into R.

cart_version <- function() .Call(C_rcart_version)

cart_models <- function() .Call(C_rcart_models)

cart_default_scenario <- function() .Call(C_rcart_default_scenario)

as_frame <- function(columns) {
  data.frame(columns, stringsAsFactors = FALSE, check.names = FALSE)
}

cart_model_info <- function(model = "cart") {
  check_string(model, "model")
  info <- cart_result(.Call(C_rcart_model_info, model))
  params <- as_frame(info$params)
  rownames(params) <- params$name
  dose <- info$dose_states
  structure(class = "cart_model_info", list(
    name = info$name,
    description = info$description,
    states = as_frame(info$states),
    outputs = as_frame(info$outputs[c("name", "unit", "meaning")]),
    signals = as_frame(info$signals[c("name", "unit", "meaning")]),
    params = params,
    endpoints = as_frame(info$endpoints),
    endpoint_settings = as_frame(info$endpoint_settings),
    dose_states = c(cart = dose[1L], toci = dose[2L])))
}

print.cart_model_info <- function(x, ...) {
  cat(sprintf("libcart model %s: %s\n", x$name, x$description))
  cat(sprintf("  states:    %s\n", paste(x$states$name, collapse = " ")))
  cat(sprintf("  outputs:   %s\n", paste(x$outputs$name, collapse = " ")))
  cat(sprintf("  signals:   %s\n", paste(x$signals$name, collapse = " ")))
  cat(sprintf("  endpoints: %s\n", paste(x$endpoints$name, collapse = " ")))
  cat(sprintf("  %d parameters (see $params)\n", nrow(x$params)))
  invisible(x)
}

check_string <- function(value, what) {
  if (!is.character(value) || length(value) != 1L || is.na(value)) {
    cart_stop(sprintf("%s must be one string, not %s", what, deparse1(value)))
  }
}
