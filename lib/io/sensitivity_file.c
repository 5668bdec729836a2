/* sensitivity_file.c: the HDF5 file of a sensitivity analysis (cart_sensitivity_write; its
 * layout is in cart_sensitivity.h and cart(1)). Written in one go, with the trial file's helpers
 * (layout.c); `complete` is 0 until the last write is flushed. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include <cart/cart_sensitivity.h>
#include <cart/cart_version.h>

#include "../util/error.h"
#include "layout.h"

static const char *const distribution_names[] = {"uniform", "log-uniform", "log-normal",
                                                 "logit-normal"};

/* The parameters' table and the indices, column by column. */
static int write_columns(hid_t file, const cart_sensitivity *s, size_t p)
{
  const char **names = malloc(p * sizeof *names), **kinds = malloc(p * sizeof *kinds);
  double *columns = malloc(15 * p * sizeof *columns);
  int status = names && kinds && columns ? 0 : -1;
  for (size_t i = 0; status == 0 && i < p; i++) {
    cart_sensitivity_param q;
    cart_sensitivity_index x;
    cart_sensitivity_get_param(s, i, &q);
    cart_sensitivity_get_index(s, i, &x);
    names[i] = q.name;
    kinds[i] = distribution_names[q.distribution];
    const double row[15] = {q.lower, q.upper, q.typical, q.cv, x.first, x.first_lower,
                            x.first_upper, x.total, x.total_lower, x.total_upper, x.mu,
                            x.mu_star, x.sigma, x.mu_star_lower, x.mu_star_upper};
    for (size_t c = 0; c < 15; c++) {
      columns[c * p + i] = row[c];
    }
  }
  static const char *const column_names[15] = {
      "lower", "upper", "typical", "cv", "first", "first_lower", "first_upper", "total",
      "total_lower", "total_upper", "mu", "mu_star", "sigma", "mu_star_lower", "mu_star_upper"};
  hid_t params = status == 0 ? H5Gcreate2(file, "parameters", H5P_DEFAULT, H5P_DEFAULT,
                                          H5P_DEFAULT)
                             : H5I_INVALID_HID;
  hid_t indices = params >= 0 ? H5Gcreate2(file, "indices", H5P_DEFAULT, H5P_DEFAULT,
                                           H5P_DEFAULT)
                              : H5I_INVALID_HID;
  status = indices >= 0 ? 0 : -1;
  if (status == 0) {
    status |= cartp_h5_attr_strings(params, "names", names, p);
    status |= cartp_h5_attr_strings(params, "distribution", kinds, p);
    status |= cartp_h5_attr_strings(indices, "names", names, p);
  }
  for (size_t c = 0; status == 0 && c < 15; c++) {
    status |= cartp_h5_doubles(c < 4 ? params : indices, column_names[c], p, 0,
                               columns + c * p, NULL);
  }
  if (params >= 0) {
    H5Gclose(params);
  }
  if (indices >= 0) {
    H5Gclose(indices);
  }
  free(names);
  free(kinds);
  free(columns);
  return status;
}

static int write_all(hid_t file, const cart_sensitivity *s)
{
  cart_sensitivity_settings st;
  cart_sensitivity_summary summary;
  cart_sensitivity_get_settings(s, &st);
  cart_sensitivity_get_summary(s, &summary);
  const size_t p = cart_sensitivity_n_params(s), rows = cart_sensitivity_n_rows(s);
  int status = cartp_h5_attr_uint64(file, "complete", 0);
  status |= cartp_h5_attr_string(file, "libcart_version", cart_version());
  status |= cartp_h5_attr_string(file, "method", st.method == CART_SENSITIVITY_SOBOL
                                                     ? "sobol" : "morris");
  status |= cartp_h5_attr_uint64(file, "n", st.n);
  status |= cartp_h5_attr_uint64(file, "levels", st.levels);
  status |= cartp_h5_attr_uint64(file, "seed", st.seed);
  status |= cartp_h5_attr_uint64(file, "n_bootstrap", st.n_bootstrap);
  status |= cartp_h5_attr_double(file, "confidence", st.confidence);
  status |= cartp_h5_attr_string(file, "statistic", cart_sensitivity_statistic(s));
  status |= cartp_h5_attr_uint64(file, "n_valid", summary.n_valid);
  status |= cartp_h5_attr_double(file, "wall_seconds", summary.wall_seconds);
  hid_t design = status == 0 ? H5Gcreate2(file, "design", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)
                             : H5I_INVALID_HID;
  if (design < 0) {
    return -1;
  }
  status |= cartp_h5_doubles(design, "unit", rows, p, cart_sensitivity_design_unit(s), NULL);
  status |= cartp_h5_doubles(design, "values", rows, p, cart_sensitivity_design(s), NULL);
  status |= cartp_h5_doubles(design, "outputs", rows, 0, cart_sensitivity_outputs(s), NULL);
  H5Gclose(design);
  status |= status == 0 ? write_columns(file, s, p) : 0;
  if (status == 0 && H5Fflush(file, H5F_SCOPE_LOCAL) >= 0) {
    status |= cartp_h5_attr_uint64(file, "complete", 1);
  } else {
    status = -1;
  }
  return status;
}

int cart_sensitivity_write(const cart_sensitivity *s, const char *path, int force,
                           cart_error *err)
{
  if (s == NULL || path == NULL || path[0] == '\0') {
    return cartp_error(err, CART_EINVAL, "cart_sensitivity_write: no analysis or no path");
  }
  hid_t file = cartp_h5_create(path, force, err);
  if (file < 0) {
    return err != NULL ? err->code : CART_EIO;
  }
  int status = -1;
  H5E_BEGIN_TRY
  {
    status = write_all(file, s);
    status |= H5Fclose(file) < 0 ? -1 : 0;
  }
  H5E_END_TRY;
  if (status != 0) {
    return cartp_error(err, CART_EIO, "cannot write the analysis to '%s'", path);
  }
  cart_error_clear(err);
  return CART_OK;
}
