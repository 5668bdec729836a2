/* hdf5.c: the serial file access (HDF5's default driver, one caller) of a trial file; the layout
 * is layout.c's. */
#include <cart/cart_hdf5.h>

#include "layout.h"

cart_h5_file *cart_h5_file_new(const char *path, const cart_trial *trial,
                               const char *scenario_text, int force, size_t chunk_patients,
                               cart_error *err)
{
  const cartp_h5_access serial = {H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT, 0, 1, 1,
                                  NULL,        NULL,        NULL};
  return cartp_h5_file_new(path, trial, scenario_text, force, chunk_patients, &serial, err);
}
