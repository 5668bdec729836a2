/* hdf5.c: the serial file access (HDF5's default driver, one caller) of a trial file; the layout
 * is layout.c's. */
#include <cart/cart_hdf5.h>

#include "../util/error.h"
#include "layout.h"

/* A file of `count` trials (arms) over the serial access, its lists set for a run killed at any
 * moment (cartp_h5_lists_for_kills, as lib/mpi's); they are read by H5Fcreate only. */
static cart_h5_file *serial_file_new(const char *path, const cart_trial *const *trials,
                                     const char *const *names, const char *const *labels,
                                     size_t count, const char *scenario_text, int force,
                                     size_t chunk_patients, cart_error *err)
{
  hid_t fcpl = H5Pcreate(H5P_FILE_CREATE), fapl = H5Pcreate(H5P_FILE_ACCESS);
  if (cartp_h5_lists_for_kills(fcpl, fapl) != 0) {
    if (fcpl >= 0) {
      H5Pclose(fcpl);
    }
    if (fapl >= 0) {
      H5Pclose(fapl);
    }
    cartp_error(err, CART_EIO, "cannot create '%s': no HDF5 property lists", path ? path : "");
    return NULL;
  }
  const cartp_h5_access serial = {fcpl, fapl, H5P_DEFAULT, H5P_DEFAULT, 0, 1, 1,
                                  NULL, NULL, NULL};
  cart_h5_file *file = cartp_h5_file_new(path, trials, names, labels, count, scenario_text, force,
                                         chunk_patients, &serial, err);
  H5Pclose(fcpl);
  H5Pclose(fapl);
  return file;
}

cart_h5_file *cart_h5_file_new(const char *path, const cart_trial *trial,
                               const char *scenario_text, int force, size_t chunk_patients,
                               cart_error *err)
{
  return serial_file_new(path, &trial, NULL, NULL, 1, scenario_text, force, chunk_patients, err);
}

cart_h5_file *cartp_h5_file_new_serial(const char *path, const cartp_arms_view *view,
                                       const char *scenario_text, int force,
                                       size_t chunk_patients, cart_error *err)
{
  return serial_file_new(path, view->trials, view->names, view->labels, view->count,
                         scenario_text, force, chunk_patients, err);
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
