# Errors: every failure is a condition of class cart_error (also "error", "condition") carrying
# libcart's status code, its C name and libcart's message, so that callers can catch them with
# tryCatch(..., cart_error = function(e) e$code).

# The status codes of cart_errno.h that the R code raises itself (the C library's own failures
# come with their code from C).
CART_EINVAL <- -1L
CART_EIO <- -15L
CART_EPARSE <- -17L
CART_ESTOPPED <- -18L

cart_condition <- function(message, code, name, call = NULL) {
  structure(class = c("cart_error", "error", "condition"),
            list(message = message, call = call, code = as.integer(code), name = name))
}

# Raises a cart_error (R's own checks of an argument's form).
cart_stop <- function(message, code = CART_EINVAL, name = "CART_EINVAL") {
  stop(cart_condition(message, code, name, call = sys.call(-1L)))
}

# The value of a .Call, or the cart_error of the libcart_failure it returned.
cart_result <- function(value) {
  if (inherits(value, "libcart_failure")) {
    stop(cart_condition(value$message, value$code, value$name, call = sys.call(-1L)))
  }
  value
}
