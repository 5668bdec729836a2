/* hdf5.c: the serial file access (HDF5's default driver, one caller) of a trial file; the layout
 * is layout.c's. */
#include <cart/cart_hdf5.h>

#include "layout.h"

static const cartp_h5_access serial = {H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT, 0, 1,
                                       1,           NULL,        NULL,        NULL};

cart_h5_file *cart_h5_file_new(const char *path, const cart_trial *trial,
                               const char *scenario_text, int force, size_t chunk_patients,
                               cart_error *err)
{
  return cartp_h5_file_new(path, &trial, NULL, NULL, 1, scenario_text, force, chunk_patients,
                           &serial, err);
}

cart_h5_file *cartp_h5_file_new_serial(const char *path, const cartp_arms_view *view,
                                       const char *scenario_text, int force,
                                       size_t chunk_patients, cart_error *err)
{
  return cartp_h5_file_new(path, view->trials, view->names, view->labels, view->count,
                           scenario_text, force, chunk_patients, &serial, err);
}

cart_h5_file *cart_h5_file_new_arms(const char *path, const cart_arms *arms,
                                    const char *scenario_text, int force, size_t chunk_patients,
                                    cart_error *err)
{
  cartp_arms_view view;
  if (cartp_arms_view_init(&view, arms, err) != CART_OK) {
    return NULL;
  }
  return cartp_h5_file_new_serial(path, &view, scenario_text, force, chunk_patients, err);
}
