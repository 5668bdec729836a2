# Reading a trial file (layout: cart(1), TRIAL FILES; cart_hdf5.h) with hdf5r.

h5_attrs <- function(object) {
  names <- hdf5r::h5attr_names(object)
  stats::setNames(lapply(names, function(n) hdf5r::h5attr(object, n)), names)
}

# Whether group g has the object at `path` (hdf5r's exists() fails on a missing intermediate group).
h5_has <- function(g, path) {
  parts <- strsplit(path, "/", fixed = TRUE)[[1L]]
  for (k in seq_along(parts)) {
    if (!g$exists(paste(parts[seq_len(k)], collapse = "/"))) return(FALSE)
  }
  TRUE
}

h5_unit <- function(object) {
  names <- hdf5r::h5attr_names(object)
  if ("unit" %in% names) hdf5r::h5attr(object, "unit") else if ("units" %in% names) hdf5r::h5attr(object, "units") else NA_character_
}

# hdf5r gives an HDF5 dataset of dims (patients, columns) as an R matrix (columns, patients).
h5_rows <- function(dataset) {
  value <- dataset$read()
  dims <- dataset$dims
  if (length(dims) == 2L) t(matrix(value, dims[1L], dims[2L])) else value
}

# The integer endpoints' fill value (-2147483648, "no value") is R's NA_integer_ already.
read_endpoints <- function(group, model) {
  order <- tryCatch(cart_model_info(model)$endpoints$name, error = function(e) character())
  present <- group$ls()$name
  order <- c(order[order %in% present], sort(setdiff(present, order)))
  columns <- lapply(order, function(n) group[[n]]$read())
  units <- vapply(order, function(n) as.character(h5_unit(group[[n]])), "")
  frame <- as.data.frame(stats::setNames(columns, order), optional = TRUE)
  for (n in order) attr(frame[[n]], "unit") <- units[[n]]
  list(frame = frame, units = units)
}

read_endpoint_summary <- function(group) {
  if (!h5_has(group, "summary/endpoints")) return(NULL)
  g <- group[["summary/endpoints"]]
  names <- if ("names" %in% hdf5r::h5attr_names(g)) hdf5r::h5attr(g, "names") else sort(g$ls()$name)
  rows <- lapply(names, function(n) {
    a <- h5_attrs(g[[n]])
    levels <- if (!is.null(a$n_level)) as.numeric(a$n_level) else rep(NA_real_, 9L)
    data.frame(endpoint = n, unit = as.character(a$unit), n_number = as.numeric(a$n_number),
               mean = a$mean, p5 = a$p5, p25 = a$p25, p50 = a$p50, p75 = a$p75, p95 = a$p95,
               t(stats::setNames(levels, paste0("n_", 0:8))),
               n_above = if (!is.null(a$n_above)) as.numeric(a$n_above) else NA_real_,
               stringsAsFactors = FALSE, check.names = FALSE)
  })
  do.call(rbind, rows)
}

# The datasets of one trial in group g: the file's root or an arm's /arms/NAME.
read_arm <- function(g, time, model) {
  params_set <- g[["params"]]
  names <- hdf5r::h5attr(params_set, "names")
  params <- as.data.frame(h5_rows(params_set))
  names(params) <- names
  param_units <- stats::setNames(hdf5r::h5attr(params_set, "units"), names)
  trajectories <- list()
  trajectory_units <- character()
  for (n in g[["trajectories"]]$ls()$name) {
    d <- g[["trajectories"]][[n]]
    trajectories[[n]] <- h5_rows(d)
    trajectory_units[[n]] <- h5_unit(d)
  }
  endpoints <- read_endpoints(g[["endpoints"]], model)
  summary <- if (h5_has(g, "summary")) h5_attrs(g[["summary"]]) else list()
  out <- list(params = params, param_units = param_units, trajectories = trajectories,
              trajectory_units = trajectory_units, endpoints = endpoints$frame,
              endpoint_units = endpoints$units, status = as.integer(g[["status"]]$read()),
              toci_times = if (h5_has(g, "events/toci_times")) h5_rows(g[["events/toci_times"]]),
              tumour_at_infusion = if (h5_has(g, "tumour_at_infusion")) g[["tumour_at_infusion"]]$read(),
              patients_row = if (h5_has(g, "patients/row")) g[["patients/row"]]$read(),
              summary = summary, endpoint_summary = read_endpoint_summary(g), time = time)
  out$trajectories_long <- trajectories_long(out)
  out
}

# Trajectories in long format: one row per patient, trajectory and time (patients in order, then
# trajectories in the file's name order, then times), as `cart export --csv` writes them.
trajectories_long <- function(x, arm = NA_character_) {
  names <- names(x$trajectories)
  n_times <- length(x$time)
  written <- which(!is.na(x$status))
  if (!length(names) || !length(written)) {
    return(data.frame(patient = integer(), arm = character(), time = numeric(), name = character(),
                      value = numeric(), unit = character(), stringsAsFactors = FALSE))
  }
  # values[t, name, patient] then flattened: time fastest, then name, then patient
  values <- vapply(names, function(n) t(x$trajectories[[n]][written, , drop = FALSE]),
                   matrix(0, n_times, length(written)))
  values <- aperm(array(values, c(n_times, length(written), length(names))), c(1L, 3L, 2L))
  data.frame(patient = rep(written - 1L, each = n_times * length(names)),
             arm = arm,
             time = rep(as.numeric(x$time), length(names) * length(written)),
             name = rep(rep(names, each = n_times), length(written)),
             value = as.vector(values),
             unit = rep(rep(unname(x$trajectory_units[names]), each = n_times), length(written)),
             stringsAsFactors = FALSE)
}

cart_trajectories_long <- function(trial) {
  if (length(trial$arms)) {
    return(do.call(rbind, lapply(names(trial$arms), function(a) trajectories_long(trial$arms[[a]], a))))
  }
  trial$trajectories_long
}

# Whether the file at path is longer than the end of allocation (EOA) its superblock records: a
# run killed inside the flush that ends a block wrote the new chunk index but not the superblock,
# which HDF5 writes last (cart(1), TRIAL FILES). Read from the superblock itself (versions 2 and
# 3, 8-byte addresses: what libcart writes; HDF5 file format specification, "Superblock"),
# because hdf5r cuts HDF5's error stack before its last entry ("addr overflow"); Python's
# read_trial() tells such a file the same way.
beyond_eoa <- function(path) {
  head <- tryCatch(readBin(path, "raw", 36L), error = function(e) raw())
  if (length(head) < 36L || !identical(head[1:8], as.raw(c(0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a))) ||
      !(as.integer(head[9]) %in% c(2L, 3L)) || as.integer(head[10]) != 8L) {
    return(FALSE)
  }
  eoa <- sum(as.numeric(head[29:36]) * 256^(0:7))
  file.size(path) > eoa
}

cart_read_trial <- function(path) {
  check_string(path, "path")
  path <- path.expand(path)
  if (!file.exists(path)) cart_stop(sprintf("trial file '%s' does not exist", path), CART_EIO, "CART_EIO")
  tryCatch(read_trial_file(path), error = function(e) {
    if (inherits(e, "cart_error") || !beyond_eoa(path)) stop(e)
    cart_stop(sprintf("trial file '%s': HDF5 cannot read some of its chunks: its run was killed while it flushed a block; `h5clear --increment=0 %s` (hdf5-tools) repairs it, then every finished block reads back",
                      path, path), CART_EIO, "CART_EIO")
  })
}

read_trial_file <- function(path) {
  f <- hdf5r::H5File$new(path, mode = "r")
  on.exit(f$close_all(), add = TRUE)
  attrs <- h5_attrs(f)
  listing <- f$ls(recursive = TRUE)
  datasets <- listing$name[listing$obj_type == "H5I_DATASET"]
  # every dataset's unit attribute (or units, one per column: /params)
  units <- stats::setNames(lapply(datasets, function(d) h5_unit(f[[d]])), paste0("/", datasets))
  time <- f[["time"]]$read()
  arms <- list()
  if (h5_has(f, "arms")) {
    for (name in as.character(attrs$arms)) {
      g <- f[["arms"]][[name]]
      arm <- read_arm(g, time, attrs$model)
      arm$arm <- name
      arm$label <- if ("label" %in% hdf5r::h5attr_names(g)) hdf5r::h5attr(g, "label") else ""
      arm$trajectories_long$arm <- name
      arms[[name]] <- arm
    }
    result <- list(time = time)
  } else {
    result <- read_arm(f, time, attrs$model)
  }
  complete <- isTRUE(as.logical(attrs$complete))
  if (!complete) {
    warning(sprintf("trial file '%s' is marked incomplete (complete = 0): its run was stopped, failed or is still running; patients not written read as NA",
                    path), call. = FALSE)
  }
  structure(class = "cart_trial_result",
            c(list(path = path, model = attrs$model, attrs = attrs, complete = complete,
                   units = units, arms = arms), result))
}

print.cart_trial_result <- function(x, ...) {
  cat(sprintf("libcart trial %s: model %s, %s patients, %d times%s%s\n", x$path, x$model,
              format(x$attrs$n_patients), length(x$time),
              if (length(x$arms)) paste0(", arms ", paste(names(x$arms), collapse = ", ")) else "",
              if (x$complete) "" else ", INCOMPLETE"))
  s <- if (length(x$arms)) NULL else x$summary
  if (length(s)) {
    keys <- intersect(c("n_patients", "n_solved", "orr_rate", "cr_rate", "crs_any_rate",
                        "crs_grade3_rate", "toci_rate", "cmax_p50", "tmax_p50"), names(s))
    print(unlist(s[keys]))
  }
  invisible(x)
}
